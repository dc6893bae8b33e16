#!/usr/bin/env python3
"""Turn the trainer's reference logits (reflogits.npz: PyTorch fp32 forward with the F16-rounded
weights) into a small committed fixture that tests compare llama.cpp against.

    python3 tools/starter-model/reference_fixture.py --run tools/starter-model/run \
        --out tools/starter-model/reference-logits.json

For each sequence and scored position: the top-K token ids and their log-probabilities
(log-softmax of the logits), plus the log-probability of the actual next token when known.
"""
import argparse
import json

import numpy as np

K = 16


def log_softmax(x):
    x = x.astype(np.float64)
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    z = np.load(f"{args.run}/reflogits.npz")
    seqs = sorted({k.rsplit("_", 1)[0] for k in z.files})
    out = {"source": "train.py reference forward (fp32, F16-rounded weights)", "topK": K, "sequences": []}
    for s in seqs:
        tokens = z[f"{s}_tokens"].tolist()
        pos = z[f"{s}_positions"].tolist()
        lp = log_softmax(z[f"{s}_logits"])
        rows = []
        for r, p in enumerate(pos):
            top = np.argsort(-lp[r])[:K]
            row = {"pos": p, "top": top.tolist(), "logprob": [round(float(v), 5) for v in lp[r][top]]}
            if p + 1 < len(tokens):
                row["next"] = tokens[p + 1]
                row["nextLogprob"] = round(float(lp[r][tokens[p + 1]]), 5)
            rows.append(row)
        out["sequences"].append({"name": s, "tokens": tokens, "rows": rows})
    with open(args.out, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
