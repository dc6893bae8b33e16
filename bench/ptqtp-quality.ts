/**
 * PTQTP quality on the starter model: each PTQTP stop next to Q4_K_M, Q3_K_M, Q3_K_S, IQ3_XXS,
 * Q2_K, TQ2_0 and TQ1_0, with and without an importance matrix. Everything by llama.cpp's own
 * tools built from the patched source (bench/ptqtp-tools.ts): llama-imatrix on the calibration
 * split, llama-quantize, then llama-perplexity on the held-out evaluation split with KL
 * divergence against the F16 model's logits. Prints bpw (of all tensors, llama-quantize's
 * count), PPL, ΔPPL and mean KLD.
 *
 *   npx tsx bench/ptqtp-quality.ts [--threads 2] [--dir /tmp/ptqtp-quality] [--chunks N]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ptqtpTool, quantizeWith } from "./ptqtp-tools.js";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    dir: { type: "string", default: "/tmp/ptqtp-quality" },
    chunks: { type: "string", default: "64" },
    levels: { type: "string" },
  },
});
const threads = values.threads;
const dir = values.dir;
mkdirSync(dir, { recursive: true });
const model = "resources/models/lowbit-starter-18m.gguf";
const evalText = "resources/data/brown/eval.txt";
const calibText = "resources/data/brown/calib.txt";
const levels = (
  values.levels ?? "Q4_K_M,Q3_K_M,Q3_K_S,IQ3_XXS,Q2_K,TQ2_0,TQ1_0,PTQTP2,PTQTP1"
).split(",");

function run(tool: Parameters<typeof ptqtpTool>[0], args: string[]): string {
  const r = spawnSync(ptqtpTool(tool), args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const log = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) {
    throw new Error(`${tool} ${args.join(" ")} failed: ${log.slice(-1500)}`);
  }
  return log;
}

const base = path.join(dir, "f16.kld");
console.error("F16 logits …");
const baseLog = run("llama-perplexity", [
  ...["-m", model, "-f", evalText, "-c", "512", "-b", "512", "-t", threads],
  ...["--kl-divergence-base", base],
]);
const basePpl = Number(/Final estimate: PPL = ([\d.]+)/.exec(baseLog)?.[1]);
const imatrix = path.join(dir, "imatrix.gguf");
if (!existsSync(imatrix)) {
  console.error("importance matrix …");
  run("llama-imatrix", [
    ...["-m", model, "-f", calibText, "-c", "512", "-b", "512", "-t", threads],
    ...["--chunks", values.chunks, "-o", imatrix],
  ]);
}

console.log(`\nstarter model F16: PPL ${basePpl.toFixed(3)} (eval split, 512-token chunks)\n`);
console.log("| Level | imatrix | bpw | PPL | ΔPPL | mean KLD | same top token |");
console.log("|---|---|---|---|---|---|---|");
for (const level of levels) {
  for (const withImatrix of [false, true]) {
    const out = path.join(dir, `starter-${level}${withImatrix ? "-imatrix" : ""}.gguf`);
    let bpw: number;
    try {
      const q = quantizeWith(model, out, level, {
        threads: Number(threads),
        ...(withImatrix ? { imatrix } : {}),
      });
      bpw = Number(/quant size\s*=\s*[\d.]+ MiB \(([\d.]+) BPW\)/.exec(q.log)?.[1]);
    } catch (error) {
      console.log(
        `| ${level} | ${withImatrix ? "yes" : "no"} | failed: ${(error as Error).message.slice(0, 80)} |`,
      );
      continue;
    }
    const log = run("llama-perplexity", [
      ...["-m", out, "-f", evalText, "-c", "512", "-b", "512", "-t", threads],
      ...["--kl-divergence-base", base, "--kl-divergence"],
    ]);
    const ppl = Number(/Mean PPL\(Q\)\s*:\s*([\d.]+)/.exec(log)?.[1]);
    const kld = Number(/Mean\s+KLD:\s*([\d.]+)/.exec(log)?.[1]);
    const top = /Same top p:\s*([\d.]+)/.exec(log)?.[1] ?? "?";
    console.log(
      `| ${level} | ${withImatrix ? "yes" : "no"} | ${bpw.toFixed(3)} | ${ppl.toFixed(3)} | ${(ppl - basePpl).toFixed(3)} | ${kld.toFixed(4)} | ${top} % |`,
    );
  }
}
