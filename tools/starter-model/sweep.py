#!/usr/bin/env python3
"""Train several configurations of train.py side by side on one GPU (the models are tiny, the GPU
is mostly idle with one), pick the one with the lowest dev loss, and copy its files to --out.

    PYTHONUNBUFFERED=1 python3 tools/starter-model/sweep.py --configs A,B,C,D --time-budget 420 --out $OUT

--out receives: train.log (all runs' output), sweep.json (every run's summary), and the winner's
metrics.json, reflogits.npz and weights-*.npz.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", required=True)
    ap.add_argument("--time-budget", type=float, default=420)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default="/tmp/starter-sweep")
    ap.add_argument("--data", default="resources/data/brown/tokens")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    logf = open(os.path.join(args.out, "train.log"), "a")
    lock = threading.Lock()

    def emit(line):
        with lock:
            sys.stdout.write(line)
            sys.stdout.flush()
            logf.write(line)
            logf.flush()

    env = dict(os.environ, PYTHONUNBUFFERED="1")
    procs = []
    t0 = time.time()
    for c in args.configs.split(","):
        cmd = [sys.executable, os.path.join(HERE, "train.py"), "--config", c, "--data", args.data,
               "--out", os.path.join(args.work, c), "--time-budget", str(args.time_budget)]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        th = threading.Thread(target=lambda p=p: [emit(l) for l in p.stdout], daemon=True)
        th.start()
        procs.append((c, p, th))
    for c, p, th in procs:
        p.wait()
        th.join()
        emit(f"[sweep] {c} exited {p.returncode} after {time.time() - t0:.0f}s\n")

    summary = []
    for c, p, _ in procs:
        mpath = os.path.join(args.work, c, "metrics.json")
        if p.returncode == 0 and os.path.exists(mpath):
            m = json.load(open(mpath))
            summary.append({k: m[k] for k in ("config_name", "config", "params", "steps_done", "train_seconds",
                                              "best_step", "best_epoch", "dev_loss", "eval_loss_all_positions",
                                              "eval_ppl_method")} | {"curve": m["curve"]})
    if not summary:
        emit("[sweep] no run finished\n")
        sys.exit(1)
    summary.sort(key=lambda s: s["dev_loss"])
    best = summary[0]["config_name"]
    json.dump({"winner": best, "wall_seconds": time.time() - t0, "runs": summary}, open(os.path.join(args.out, "sweep.json"), "w"), indent=1)
    for s in summary:
        emit(f"[sweep] {s['config_name']}: params {s['params']} dev {s['dev_loss']:.4f} eval {s['eval_loss_all_positions']:.4f} "
             f"ppl(method) {s['eval_ppl_method']['ppl']:.3f} best step {s['best_step']} ({s['best_epoch']:.1f} ep) of {s['steps_done']}\n")
    wdir = os.path.join(args.work, best)
    for f in sorted(os.listdir(wdir)):
        if f.startswith("weights-") or f in ("metrics.json", "reflogits.npz"):
            shutil.copy(os.path.join(wdir, f), os.path.join(args.out, f))
    emit(f"[sweep] winner {best}; total {time.time() - t0:.0f}s\n")


if __name__ == "__main__":
    main()
