/**
 * PTQTP decode speed and quantization rate: a generated ~1 B-parameter llama model (random
 * weights; speed does not depend on them) quantized to each PTQTP stop and to Q4_K_M, Q3_K_S and
 * TQ2_0 by the patched llama-quantize, then every file measured by llama-bench in the same run:
 * `--rounds` rounds, each one llama-bench over all the files (order rotated, so a burst of other
 * work on the machine hits every level alike), for each thread count. Prints the median and best
 * round's tokens/s and the ratio of medians to Q4_K_M, and each level's quantization rate
 * (linear weights per second of llama-quantize's own timer) with the ratio to Q4_K_M's.
 *
 *   npx tsx bench/ptqtp-decode.ts [--threads 1,2] [--rounds 7] [--tokens 32] [--fresh]
 *                                 [--dir /tmp/ptqtp-bench]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { writeTinyModel } from "../src-main/services/gguf/tinyModel.js";
import { ptqtpTool, quantizeWith } from "./ptqtp-tools.js";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "1,2" },
    rounds: { type: "string", default: "7" },
    tokens: { type: "string", default: "32" },
    dir: { type: "string", default: "/tmp/ptqtp-bench" },
    /** Quantize again even where the file exists (to time the quantizers). */
    fresh: { type: "boolean", default: false },
  },
});
const threadCounts = values.threads.split(",").map(Number);
const quantizeThreads = Math.max(...threadCounts);
const dir = values.dir;
mkdirSync(dir, { recursive: true });

// TinyLlama-like shape: 2048 wide, 18 blocks, 5632 FFN, 32000 tokens ≈ 0.98 B parameters.
const shape = { embd: 2048, layers: 18, ff: 5632, vocab: 32000 };
const source = path.join(dir, "llama-1b-f16.gguf");
if (!existsSync(source)) {
  console.error(`writing ${source} (random weights, F16, ~2 GB) …`);
  await writeTinyModel({ path: source, ...shape, type: "f16", seed: 7 });
}

const levels = ["Q4_K_M", "Q3_K_S", "TQ2_0", "PTQTP2", "PTQTP1"];
const quantized: Array<{ level: string; file: string; seconds: number | null }> = [];
for (const level of levels) {
  const file = path.join(dir, `llama-1b-${level}.gguf`);
  let seconds: number | null = null;
  if (values.fresh || !existsSync(file)) {
    console.error(`quantizing to ${level} …`);
    seconds = quantizeWith(source, file, level, { threads: quantizeThreads }).seconds;
  }
  quantized.push({ level, file, seconds });
}

// Linear weights only (what the level's main type covers); the same count for every level.
const d = shape.embd;
const kv = d / 2; // writeTinyModel's default: half as many KV heads as heads
const linear = shape.layers * (2 * d * d + 2 * d * kv + 3 * d * shape.ff);

/** tok/s of every file in one llama-bench run (files in the given order). */
function benchOnce(files: string[], threads: number): Map<string, number> {
  const bench = spawnSync(
    ptqtpTool("llama-bench"),
    [
      ...files.flatMap((f) => ["-m", f]),
      ...["-p", "0", "-n", values.tokens, "-t", String(threads), "-r", "2", "-o", "json"],
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (bench.status !== 0) {
    throw new Error(`llama-bench failed: ${bench.stderr.slice(-1500)}`);
  }
  const rows = JSON.parse(bench.stdout) as Array<{ model_filename: string; avg_ts: number }>;
  return new Map(rows.map((r) => [r.model_filename, r.avg_ts]));
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const rounds = Number(values.rounds);
const files = quantized.map((q) => q.file);
const speeds = new Map<number, Map<string, number[]>>();
for (const threads of threadCounts) {
  const perFile = new Map(files.map((f) => [f, [] as number[]]));
  for (let round = 0; round < rounds; round++) {
    const order = files.map((_, i) => files[(i + round) % files.length]!);
    console.error(`llama-bench, ${threads} thread(s), round ${round + 1}/${rounds} …`);
    for (const [file, ts] of benchOnce(order, threads)) {
      perFile.get(file)!.push(ts);
    }
  }
  speeds.set(threads, perFile);
}

const baseRate = quantized[0]!.seconds;
console.log(
  `\n${os.cpus()[0]?.model ?? "cpu"}, ${os.availableParallelism()} cores, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}; tg${values.tokens}, ${rounds} rounds of llama-bench -r 2\n`,
);
const head = threadCounts.map((t) => `tok/s -t ${t}: median (best) | × Q4_K_M`).join(" | ");
console.log(`| Level | File size | ${head} | quantize s | M weights/s | rate × Q4_K_M |`);
console.log(`|---|---|${threadCounts.map(() => "---|---|").join("")}---|---|---|`);
for (const q of quantized) {
  const cells = threadCounts.map((t) => {
    const perFile = speeds.get(t)!;
    const mine = perFile.get(q.file)!;
    const base = median(perFile.get(files[0]!)!);
    return `${median(mine).toFixed(2)} (${Math.max(...mine).toFixed(2)}) | ${(median(mine) / base).toFixed(2)}`;
  });
  const rate = q.seconds === null ? null : linear / q.seconds / 1e6;
  console.log(
    `| ${q.level} | ${(statSync(q.file).size / 2 ** 30).toFixed(3)} GiB | ${cells.join(" | ")} | ${q.seconds?.toFixed(1) ?? "(cached)"} | ${rate?.toFixed(1) ?? "–"} | ${q.seconds !== null && baseRate !== null ? (baseRate / q.seconds).toFixed(2) : "–"} |`,
  );
}
