#!/usr/bin/env python3
"""Train the Lowbit starter model (llama architecture) on the tokenized Brown corpus.

Runs on one GPU with nothing but PyTorch + numpy; reads only what travels with the repository
(resources/data/brown/tokens/*.bin, written by tokenize-data.ts).

    python3 tools/starter-model/train.py --config A --out /tmp/run/A --time-budget 420

Model = llama.cpp's LLM_ARCH_LLAMA exactly: RMSNorm (eps 1e-5), RoPE in llama.cpp's "normal"
mode (rotates consecutive pairs (x[2i], x[2i+1]), theta_i = 10000^(-2i/head_dim)), so no Q/K
permutation is needed at export; grouped-query attention where query head h reads KV head
h // (n_head / n_head_kv) (what ggml's broadcast does); SwiGLU FFN; no biases.

Every window starts with BOS (the first token is overwritten, as llama-perplexity does), the
model sees windows of exactly n_ctx = 512 tokens. Early stopping / model selection uses the dev
documents (carved from the training split); eval is only measured at the end.

Outputs (in --out):
  weights-*.npz   the best checkpoint, GGUF tensor names, F16 matrices / F32 norms, <16 MiB each
  metrics.json    config, curves, best dev loss, eval loss/ppl (llama-perplexity method)
  reflogits.npz   reference logits (fp32 forward with the F16-rounded weights) for a few sequences
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {
    # d_model, layers, heads, KV heads, SwiGLU width, tied output, dropout, peak lr, weight decay,
    # steps of batch x 512 tokens (79 steps = one epoch of the 1.29 M training tokens at batch 32)
    "A": dict(d=512, L=6, H=8, KV=2, ffn=1024, tied=True, dropout=0.3, lr=1e-3, wd=0.1, steps=2400, batch=32),
    "B": dict(d=512, L=6, H=8, KV=2, ffn=1024, tied=True, dropout=0.4, lr=1e-3, wd=0.1, steps=3200, batch=32),
    "C": dict(d=512, L=8, H=8, KV=2, ffn=768, tied=True, dropout=0.35, lr=1e-3, wd=0.1, steps=2800, batch=32),
    "D": dict(d=256, L=8, H=4, KV=2, ffn=768, tied=False, dropout=0.25, lr=2e-3, wd=0.1, steps=2400, batch=32),
    "E": dict(d=256, L=8, H=4, KV=2, ffn=1024, tied=True, dropout=0.2, lr=2e-3, wd=0.1, steps=2400, batch=32),
    "F": dict(d=512, L=6, H=8, KV=2, ffn=1024, tied=True, dropout=0.3, lr=1e-3, wd=0.5, steps=2400, batch=32),
    # second sweep: the first one peaked at 11-16 epochs while the learning rate was still high,
    # so these anneal by then, with stronger weight decay (F's wd 0.5 was the best of the first)
    "G": dict(d=512, L=6, H=8, KV=2, ffn=1024, tied=True, dropout=0.3, lr=1e-3, wd=0.5, steps=1400, batch=32),
    "H": dict(d=512, L=6, H=8, KV=2, ffn=1024, tied=True, dropout=0.3, lr=1e-3, wd=1.0, steps=1400, batch=32),
    "I": dict(d=512, L=6, H=8, KV=2, ffn=1024, tied=True, dropout=0.2, lr=1e-3, wd=1.0, steps=1200, batch=32),
    "J": dict(d=512, L=8, H=8, KV=2, ffn=768, tied=True, dropout=0.35, lr=1e-3, wd=0.5, steps=1600, batch=32),
    "K": dict(d=512, L=6, H=8, KV=2, ffn=1024, tied=True, dropout=0.3, lr=1.5e-3, wd=1.0, steps=1800, batch=32),
    "L": dict(d=256, L=8, H=4, KV=2, ffn=1024, tied=True, dropout=0.2, lr=2e-3, wd=0.5, steps=1200, batch=32),
    "smoke": dict(d=512, L=6, H=8, KV=2, ffn=1024, tied=True, dropout=0.2, lr=1.5e-3, wd=0.1, steps=300, batch=32),
}
N_CTX = 512
ROPE_THETA = 10000.0
RMS_EPS = 1e-5
SEED = 1234


class RMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + RMS_EPS)
        return (xf * self.weight.float()).type_as(x)


def rope_tables(head_dim, n, device):
    inv = ROPE_THETA ** (-torch.arange(0, head_dim, 2, dtype=torch.float64, device=device) / head_dim)
    ang = torch.arange(n, dtype=torch.float64, device=device)[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()  # (n, head_dim/2)


def apply_rope(x, cos, sin):
    # x: (B, H, T, D); llama.cpp NORM mode: pairs (2i, 2i+1)
    T = x.shape[2]
    c = cos[:T].to(x.dtype)
    s = sin[:T].to(x.dtype)
    x0 = x[..., 0::2]
    x1 = x[..., 1::2]
    return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, H, KV, hd = cfg["d"], cfg["H"], cfg["KV"], cfg["d"] // cfg["H"]
        self.H, self.KV, self.hd = H, KV, hd
        self.attn_norm = RMSNorm(d)
        self.attn_q = nn.Linear(d, H * hd, bias=False)
        self.attn_k = nn.Linear(d, KV * hd, bias=False)
        self.attn_v = nn.Linear(d, KV * hd, bias=False)
        self.attn_output = nn.Linear(H * hd, d, bias=False)
        self.ffn_norm = RMSNorm(d)
        self.ffn_gate = nn.Linear(d, cfg["ffn"], bias=False)
        self.ffn_up = nn.Linear(d, cfg["ffn"], bias=False)
        self.ffn_down = nn.Linear(cfg["ffn"], d, bias=False)
        self.p = cfg["dropout"]

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        h = self.attn_norm(x)
        q = self.attn_q(h).view(B, T, self.H, self.hd).transpose(1, 2)
        k = self.attn_k(h).view(B, T, self.KV, self.hd).transpose(1, 2)
        v = self.attn_v(h).view(B, T, self.KV, self.hd).transpose(1, 2)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        rep = self.H // self.KV
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=self.p if self.training else 0.0)
        a = a.transpose(1, 2).reshape(B, T, self.H * self.hd)
        x = x + F.dropout(self.attn_output(a), self.p, self.training)
        h = self.ffn_norm(x)
        f = self.ffn_down(F.silu(self.ffn_gate(h)) * self.ffn_up(h))
        return x + F.dropout(f, self.p, self.training)


class Llama(nn.Module):
    def __init__(self, cfg, vocab):
        super().__init__()
        self.cfg = cfg
        self.token_embd = nn.Embedding(vocab, cfg["d"])
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg["L"])])
        self.output_norm = RMSNorm(cfg["d"])
        self.output = None if cfg["tied"] else nn.Linear(cfg["d"], vocab, bias=False)
        cos, sin = rope_tables(cfg["d"] // cfg["H"], N_CTX, "cpu")
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        std = 0.02
        for n_, p in self.named_parameters():
            if p.dim() == 2:
                s = std / math.sqrt(2 * cfg["L"]) if n_.endswith(("attn_output.weight", "ffn_down.weight")) else std
                nn.init.normal_(p, 0.0, s)

    def forward(self, idx):
        x = F.dropout(self.token_embd(idx), self.cfg["dropout"], self.training)
        for b in self.blocks:
            x = b(x, self.cos, self.sin)
        x = self.output_norm(x)
        w = self.token_embd.weight if self.output is None else self.output.weight
        return F.linear(x, w)

    def gguf_state(self):
        """name → fp32 numpy array, with llama.cpp GGUF tensor names."""
        out = {"token_embd.weight": self.token_embd.weight}
        for i, b in enumerate(self.blocks):
            for n_ in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"):
                out[f"blk.{i}.{n_}.weight"] = getattr(b, n_).weight
        out["output_norm.weight"] = self.output_norm.weight
        if self.output is not None:
            out["output.weight"] = self.output.weight
        return {k: v.detach().float().cpu().numpy() for k, v in out.items()}


def load_bin(path):
    return np.fromfile(path, dtype="<u2").astype(np.int64)


def chunks_of(tokens, n_ctx, bos):
    """llama-perplexity chunking: floor(len/n_ctx) chunks, first token of each replaced by BOS."""
    n = len(tokens) // n_ctx
    x = tokens[: n * n_ctx].reshape(n, n_ctx).clone()
    orig = x.clone()
    x[:, 0] = bos
    return x, orig


@torch.no_grad()
def evaluate(model, tokens, bos, batch=64, autocast=True, perplexity_method=False):
    """Mean NLL. perplexity_method=True scores exactly what llama-perplexity scores: in each chunk
    the logits at positions n_ctx/2 .. n_ctx-2 predicting the original tokens at n_ctx/2+1 .. n_ctx-1.
    Otherwise every position 0..n_ctx-2 is scored."""
    was_training = model.training
    model.eval()
    x, orig = chunks_of(tokens, N_CTX, bos)
    first = N_CTX // 2 if perplexity_method else 0
    nll, cnt = 0.0, 0
    for i in range(0, x.shape[0], batch):
        xb = x[i : i + batch].cuda()
        ob = orig[i : i + batch].cuda()
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            logits = model(xb)
        lg = logits[:, first : N_CTX - 1].float()
        tg = ob[:, first + 1 : N_CTX]
        nll += F.cross_entropy(lg.reshape(-1, lg.shape[-1]), tg.reshape(-1), reduction="sum").item()
        cnt += tg.numel()
    model.train(was_training)
    return nll / cnt, cnt, x.shape[0]


def param_groups(model, wd):
    decay, no_decay = [], []
    for n_, p in model.named_parameters():
        (decay if p.dim() >= 2 else no_decay).append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


def lr_at(step, total, peak, warmup=200, floor=0.1):
    if step < warmup:
        return peak * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t)))


def save_shards(state, out_dir, limit=15 * 1024 * 1024):
    """F16 matrices, F32 vectors; greedy shards under `limit` bytes."""
    shards, cur, size = [], {}, 0
    for k, v in state.items():
        arr = v.astype(np.float16) if v.ndim == 2 else v.astype(np.float32)
        if cur and size + arr.nbytes > limit:
            shards.append(cur)
            cur, size = {}, 0
        cur[k] = arr
        size += arr.nbytes
    if cur:
        shards.append(cur)
    names = []
    for i, s in enumerate(shards):
        name = f"weights-{i:02d}.npz"
        np.savez(os.path.join(out_dir, name), **s)
        names.append(name)
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--data", default="resources/data/brown/tokens")
    ap.add_argument("--out", required=True)
    ap.add_argument("--time-budget", type=float, default=420.0, help="seconds of training before stopping")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--eval-every", type=int, default=100)
    args = ap.parse_args()
    cfg = dict(CONFIGS[args.config])
    if args.steps:
        cfg["steps"] = args.steps
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "log.txt"), "a")

    def say(*a):
        s = f"[{args.config}] " + " ".join(str(x) for x in a)
        print(s, flush=True)
        log.write(s + "\n")
        log.flush()

    torch.manual_seed(SEED)
    np.random.seed(SEED)
    meta = json.load(open(os.path.join(args.data, "meta.json")))
    V, BOS = meta["vocabSize"], meta["bos"]
    train = torch.from_numpy(load_bin(os.path.join(args.data, "train.bin")))
    dev = torch.from_numpy(load_bin(os.path.join(args.data, "dev.bin")))
    ev = torch.from_numpy(load_bin(os.path.join(args.data, "eval.bin")))
    train_gpu = train.cuda()
    say("torch", torch.__version__, "gpu", torch.cuda.get_device_name(0), "train tokens", len(train), "dev", len(dev), "eval", len(ev))

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    model = Llama(cfg, V).cuda()
    n_params = sum(p.numel() for p in model.parameters())
    say("config", json.dumps(cfg), "params", n_params)
    opt = torch.optim.AdamW(param_groups(model, cfg["wd"]), lr=cfg["lr"], betas=(0.9, 0.95), eps=1e-8, fused=True)
    gen = torch.Generator(device="cuda")
    gen.manual_seed(SEED)
    B, total = cfg["batch"], cfg["steps"]
    max_start = len(train) - (N_CTX + 1)
    ar = torch.arange(N_CTX + 1, device="cuda")

    best = {"dev": float("inf"), "step": -1, "state": None}
    curve = []
    t0 = time.time()
    step = 0
    stopped = "steps"
    tok_seen = 0
    while step < total:
        if time.time() - t0 > args.time_budget:
            stopped = "time"
            break
        lr = lr_at(step, total, cfg["lr"])
        for g in opt.param_groups:
            g["lr"] = lr
        starts = torch.randint(0, max_start + 1, (B,), device="cuda", generator=gen)
        win = train_gpu[starts[:, None] + ar[None, :]]
        x = win[:, :-1].clone()
        x[:, 0] = BOS
        y = win[:, 1:]
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(x)
        loss = F.cross_entropy(logits.float().view(-1, V), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tok_seen += B * N_CTX
        if step == 20:
            torch.cuda.synchronize()
            t20 = time.time()
        if step == 120:
            # make sure the whole cosine schedule fits in the time budget (GPU shared with other runs)
            torch.cuda.synchronize()
            rate = 100 / (time.time() - t20)
            fit = step + int(0.92 * rate * (args.time_budget - (time.time() - t0)))
            say(f"{rate:.1f} steps/s; {fit} steps fit in the budget")
            if fit < total:
                say(f"capping steps {total} -> {fit}")
                total = fit
                cfg["steps"] = total
        if step % args.eval_every == 0 or step == total:
            dl, _, _ = evaluate(model, dev, BOS)
            el = time.time() - t0
            curve.append({"step": step, "epoch": tok_seen / len(train), "train": loss.item(), "dev": dl, "lr": lr, "t": el})
            mark = ""
            if dl < best["dev"]:
                best = {"dev": dl, "step": step, "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}
                mark = " *"
            say(f"step {step} ep {tok_seen/len(train):.2f} train {loss.item():.4f} dev {dl:.4f} lr {lr:.2e} t {el:.0f}s{mark}")
    train_time = time.time() - t0
    say(f"stopped ({stopped}) at step {step} after {train_time:.0f}s; best dev {best['dev']:.4f} at step {best['step']}")

    # ---- final: best checkpoint, F16-rounded, evaluated in fp32 -----------------------------
    model.load_state_dict(best["state"])
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(p.half().float())
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    model.eval()
    dev32, _, _ = evaluate(model, dev, BOS, autocast=False)
    ev_all, _, _ = evaluate(model, ev, BOS, autocast=False)
    ev_ppl_nll, ev_cnt, ev_chunks = evaluate(model, ev, BOS, autocast=False, perplexity_method=True)
    say(f"final (f16 weights, fp32 math): dev {dev32:.4f}  eval(all pos) {ev_all:.4f}  "
        f"eval llama-perplexity method: nll {ev_ppl_nll:.4f} ppl {math.exp(ev_ppl_nll):.3f} over {ev_chunks} chunks / {ev_cnt} tokens")

    # reference logits for the llama.cpp comparison (eval mode: no dropout)
    model.eval()
    refs = {}
    seqs = {
        "seq0": ev[:48].clone(),  # starts with BOS (eval.bin begins with it)
        "seq1": torch.cat([torch.tensor([BOS]), ev[5000:5031]]),
        "seq2": torch.cat([torch.tensor([BOS]), ev[20000 : 20000 + N_CTX - 1]]),  # full context
    }
    with torch.no_grad():
        for k, s in seqs.items():
            lg = model(s[None].cuda())[0].float().cpu().numpy()
            refs[k + "_tokens"] = s.numpy().astype(np.int32)
            if k == "seq2":
                pos = np.array(list(range(0, N_CTX, 37)) + [N_CTX - 1], dtype=np.int32)
                refs[k + "_positions"] = pos
                refs[k + "_logits"] = lg[pos]
            else:
                refs[k + "_positions"] = np.arange(len(s), dtype=np.int32)
                refs[k + "_logits"] = lg
    np.savez(os.path.join(args.out, "reflogits.npz"), **refs)

    shards = save_shards(model.gguf_state(), args.out)
    metrics = {
        "config_name": args.config,
        "config": cfg,
        "n_ctx": N_CTX,
        "rope_theta": ROPE_THETA,
        "rms_eps": RMS_EPS,
        "weight_decay": cfg["wd"],
        "seed": SEED,
        "vocab": V,
        "bos": BOS,
        "params": n_params,
        "train_tokens": len(train),
        "dev_tokens": len(dev),
        "eval_tokens": len(ev),
        "steps_done": step,
        "stopped": stopped,
        "train_seconds": train_time,
        "best_step": best["step"],
        "best_epoch": best["step"] * B * N_CTX / len(train),
        "best_dev_loss_bf16": best["dev"],
        "dev_loss": dev32,
        "eval_loss_all_positions": ev_all,
        "eval_ppl_method": {"nll": ev_ppl_nll, "ppl": math.exp(ev_ppl_nll), "chunks": ev_chunks, "scored": ev_cnt, "n_ctx": N_CTX},
        "curve": curve,
        "shards": shards,
        "gpu": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
    }
    json.dump(metrics, open(os.path.join(args.out, "metrics.json"), "w"), indent=1)
    say("wrote", args.out)


if __name__ == "__main__":
    main()
