/**
 * Lowbit's evaluation (the native addon, in a fresh process as an evaluation's worker runs it)
 * against llama.cpp's `llama-perplexity` on the same model, text, context, chunks and threads, in
 * one run:
 *
 *   npx tsx bench/evaluate-referee.ts [--levels Q8_0,Q4_K_M,Q3_K_S,Q2_K] [--chunks 32]
 *     [--ctx 512] [--threads 1] [--reps 3] [--dir /tmp/lowbit-eval-referee]
 *
 * The levels are quantized once by our quantizer (the addon). Then, `--reps` times, interleaved
 * with the order rotated: the base pass (ours writes the base log-probs; llama-perplexity
 * `--kl-divergence-base`), and for every level the model pass against that base (ours reads our
 * file; llama-perplexity `--kl-divergence` reads its own). Both sides skip the decode probe (the
 * referee has none). Prints PPL, mean KLD and same-top-token of both, whether the two base files
 * are the same bytes, and wall times (process start to exit, medians; best in brackets).
 * llama-perplexity comes from bench/ptqtp-tools.ts (built from the patched bundled source if
 * missing; LOWBIT_PTQTP_BUILD points at an existing build).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { levelByName } from "../src-main/services/compress/levels.js";
import type {
  NativeEvaluateOptions,
  NativeEvaluateResult,
} from "../src-main/services/native/AddonTypes.js";
import { addonLinkInfo, addonPath, loadAddon } from "../src-main/services/native/loadAddon.js";
import { ptqtpTool } from "./ptqtp-tools.js";
import { median } from "./quantize-referee.js";

const { values } = parseArgs({
  options: {
    levels: { type: "string", default: "Q8_0,Q4_K_M,Q3_K_S,Q2_K" },
    chunks: { type: "string", default: "32" },
    ctx: { type: "string", default: "512" },
    threads: { type: "string", default: "1" },
    reps: { type: "string", default: "3" },
    dir: { type: "string", default: "/tmp/lowbit-eval-referee" },
    model: { type: "string", default: "resources/models/lowbit-starter-18m.gguf" },
    text: { type: "string", default: "resources/data/brown/eval.txt" },
  },
});
const chunks = Number(values.chunks);
const ctx = Number(values.ctx);
const threads = Number(values.threads);
const reps = Number(values.reps);
const dir = values.dir;
const model = path.resolve(values.model);
const text = path.resolve(values.text);
// llama-perplexity's defaults: a 2048-token batch, four 512-token chunks side by side.
const BATCH = 2048;
mkdirSync(dir, { recursive: true });

interface Measured {
  ppl: number;
  /** Compare passes only. */
  pplBase?: number;
  kld?: number;
  top1?: number;
  wallSeconds: number;
}

function ours(options: NativeEvaluateOptions): Measured {
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    ["bench/evaluate-one.mjs", addonPath(), JSON.stringify(options)],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  const wallSeconds = (performance.now() - started) / 1000;
  if (run.status !== 0) {
    throw new Error(`our evaluation failed: ${run.stderr.slice(-1500)}`);
  }
  const result = JSON.parse(run.stdout) as NativeEvaluateResult;
  const c = result.comparison;
  return {
    ppl: result.ppl,
    ...(c === null ? {} : { pplBase: c.pplBase, kld: c.kld.mean, top1: c.sameTop }),
    wallSeconds,
  };
}

function number(log: string, pattern: RegExp): number {
  const match = pattern.exec(log);
  if (match === null) {
    throw new Error(`llama-perplexity printed no ${pattern.source}:\n${log.slice(-1500)}`);
  }
  return Number(match[1]);
}

function theirs(args: string[], compare: boolean): Measured {
  const started = performance.now();
  const run = spawnSync(
    ptqtpTool("llama-perplexity"),
    [
      ...["-m", args[0]!, "-f", text, "-c", String(ctx), "-b", String(BATCH)],
      ...["-t", String(threads), "--chunks", String(chunks), ...args.slice(1)],
    ],
    { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const log = `${run.stdout}${run.stderr}`;
  if (run.status !== 0) {
    throw new Error(`llama-perplexity ${args.join(" ")} failed: ${log.slice(-1500)}`);
  }
  if (!compare) {
    return { ppl: number(log, /Final estimate: PPL = ([\d.]+)/), wallSeconds };
  }
  return {
    ppl: number(log, /Mean PPL\(Q\)\s*:\s*([\d.]+)/),
    pplBase: number(log, /Mean PPL\(base\)\s*:\s*([\d.]+)/),
    kld: number(log, /Mean\s+KLD:\s*(-?[\d.]+)/),
    top1: number(log, /Same top p:\s*([\d.]+)/) / 100,
    wallSeconds,
  };
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

// The referee first, so a missing build fails before anything is measured.
const perplexity = ptqtpTool("llama-perplexity");
process.env.LOWBIT_ALLOW_ADDON_IN_PROCESS = "1";
const addon = loadAddon();
const files = new Map<string, string>([["F16", model]]);
const levels = values.levels.split(",");
for (const name of levels) {
  const level = levelByName(name);
  if (level === undefined) {
    throw new Error(`unknown level ${name}`);
  }
  const output = path.join(dir, `starter-${name}.gguf`);
  console.error(`quantizing ${name} (our quantizer) …`);
  await addon.quantize({ inputPath: model, outputPath: output, ftype: level.ftype, threads })
    .promise;
  files.set(name, output);
}

const ourBase = path.join(dir, "ours-base.kld");
const theirBase = path.join(dir, "theirs-base.kld");
const common = { contextSize: ctx, maxChunks: chunks, batchSize: BATCH, threads, decodeTokens: 0 };
const samples = new Map<string, { ours: Measured[]; theirs: Measured[] }>();
const sample = (key: string) => {
  const entry = samples.get(key) ?? { ours: [], theirs: [] };
  samples.set(key, entry);
  return entry;
};

for (let rep = 0; rep < reps; rep++) {
  // Rotate who goes first so a busy moment of this shared machine falls on both sides.
  const oursFirst = rep % 2 === 0;
  const pair = (key: string, a: () => Measured, b: () => Measured) => {
    const entry = sample(key);
    if (oursFirst) {
      entry.ours.push(a());
      entry.theirs.push(b());
    } else {
      entry.theirs.push(b());
      entry.ours.push(a());
    }
  };
  console.error(`rep ${rep + 1} of ${reps}: base pass …`);
  pair(
    "base",
    () => ours({ ...common, modelPath: model, textPath: text, saveLogProbsPath: ourBase }),
    () => theirs([model, "--kl-divergence-base", theirBase], false),
  );
  for (const name of levels) {
    console.error(`rep ${rep + 1} of ${reps}: ${name} …`);
    pair(
      name,
      () => ours({ ...common, modelPath: files.get(name)!, baseLogProbsPath: ourBase }),
      () => theirs([files.get(name)!, "--kl-divergence-base", theirBase, "--kl-divergence"], true),
    );
  }
}

const link = addonLinkInfo();
console.log(
  `starter model, ${path.relative(process.cwd(), text)}, ${chunks} chunks × ${ctx} tokens ` +
    `(batch ${BATCH}), ${threads} thread(s), ${reps} interleaved reps; addon on ` +
    `${link?.buildType ?? "?"} llama.cpp ${link?.llamaCppRelease ?? "?"}; referee ${perplexity}; ` +
    `${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
);
console.log(
  `base log-prob files: ${sha256(ourBase) === sha256(theirBase) ? "the same bytes" : "DIFFERENT bytes"}`,
);
console.log(
  "| Pass | PPL ours | PPL llama-perplexity | ours / theirs | mean KLD ours | mean KLD theirs | ours / theirs | same top ours | same top theirs | wall ours (s) | wall theirs (s) | ours / theirs |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
const wall = (runs: Measured[]) => runs.map((r) => r.wallSeconds);
const timed = (runs: Measured[]) =>
  `${median(wall(runs)).toFixed(2)} (${Math.min(...wall(runs)).toFixed(2)})`;
let oursTotal = 0;
let theirsTotal = 0;
for (const [key, { ours: a, theirs: b }] of samples) {
  const x = a[0]!;
  const y = b[0]!;
  oursTotal += median(wall(a));
  theirsTotal += median(wall(b));
  const kld =
    x.kld === undefined || y.kld === undefined
      ? "| – | – | –"
      : `| ${x.kld.toPrecision(5)} | ${y.kld.toPrecision(5)} | ${(x.kld / y.kld).toFixed(4)}`;
  const top =
    x.top1 === undefined || y.top1 === undefined
      ? "| – | –"
      : `| ${(x.top1 * 100).toFixed(3)} % | ${(y.top1 * 100).toFixed(3)} %`;
  console.log(
    `| ${key === "base" ? "base (F16, writes the log-probs)" : key} | ${x.ppl.toFixed(4)} | ` +
      `${y.ppl.toFixed(4)} | ${(x.ppl / y.ppl).toFixed(5)} ${kld} ${top} | ${timed(a)} | ` +
      `${timed(b)} | ${(median(wall(a)) / median(wall(b))).toFixed(3)} |`,
  );
}
console.log(`all passes: ours / theirs ${(oursTotal / theirsTotal).toFixed(3)} (sum of medians)`);
