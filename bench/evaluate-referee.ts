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
 * are the same bytes, and wall times (process start to exit, medians; best in brackets) — also of
 * llama-perplexity run over the very libraries the addon links, which separates what the addon
 * costs from how two builds of llama.cpp differ. llama-perplexity prints KLD with 6 decimals, so
 * below ~1e-4 the KLD ratio shows its rounding, not ours.
 * llama-perplexity comes from bench/ptqtp-tools.ts (built from the patched bundled source if
 * missing; LOWBIT_PTQTP_BUILD points at an existing build).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
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

/**
 * llama-perplexity; with `libs`, over those libraries instead of its own build (LD_LIBRARY_PATH
 * wins over the build's RUNPATH).
 */
function theirs(args: string[], compare: boolean, libs?: string): Measured {
  const started = performance.now();
  const run = spawnSync(
    ptqtpTool("llama-perplexity"),
    [
      ...["-m", args[0]!, "-f", text, "-c", String(ctx), "-b", String(BATCH)],
      ...["-t", String(threads), "--chunks", String(chunks), ...args.slice(1)],
    ],
    {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      ...(libs === undefined ? {} : { env: { ...process.env, LD_LIBRARY_PATH: libs } }),
    },
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

/**
 * The libraries the addon links (addonLinkInfo), under the names llama-perplexity was linked
 * with: the referee run over them isolates what the addon's own code costs from how the two
 * llama.cpp builds differ.
 */
function addonLibraries(): string | undefined {
  const link = addonLinkInfo();
  if (link === null) {
    return undefined;
  }
  const libs = path.join(dir, "addon-libs");
  rmSync(libs, { recursive: true, force: true });
  mkdirSync(libs);
  const found = readdirSync(link.libDir).filter((f) => f.endsWith(".so"));
  for (const file of found) {
    symlinkSync(path.join(link.libDir, file), path.join(libs, file));
  }
  const alias = (name: string, pattern: RegExp) => {
    const target = found.find((f) => pattern.test(f));
    if (target !== undefined && !found.includes(name)) {
      symlinkSync(path.join(link.libDir, target), path.join(libs, name));
    }
  };
  alias("libllama.so.0", /^libllama\.(v[\d.]+\.)?so$/);
  alias("libggml.so.0", /^libggml\.(v[\d.]+\.)?so$/);
  alias("libggml-base.so.0", /^libggml-base\.so$/);
  alias("libggml-cpu.so.0", /^libggml-cpu(-x64)?\.so$/);
  alias("libllama-common.so.0", /^libllama-common\.so$/);
  return libs;
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
const libBase = path.join(dir, "theirs-on-addon-libs-base.kld");
const libs = addonLibraries();
const common = { contextSize: ctx, maxChunks: chunks, batchSize: BATCH, threads, decodeTokens: 0 };
type Side = "ours" | "theirs" | "theirsOnOurLibs";
const samples = new Map<string, Record<Side, Measured[]>>();

for (let rep = 0; rep < reps; rep++) {
  // Rotate who goes first so a busy moment of this shared machine falls on every side.
  const sides: Side[] = [
    "ours",
    "theirs",
    ...(libs === undefined ? [] : ["theirsOnOurLibs" as const]),
  ];
  const order = sides.map((_, i) => sides[(i + rep) % sides.length]!);
  const measure = (key: string, run: Record<Side, () => Measured>) => {
    const entry = samples.get(key) ?? { ours: [], theirs: [], theirsOnOurLibs: [] };
    samples.set(key, entry);
    for (const side of order) {
      entry[side].push(run[side]());
    }
  };
  console.error(`rep ${rep + 1} of ${reps}: base pass …`);
  measure("base", {
    ours: () => ours({ ...common, modelPath: model, textPath: text, saveLogProbsPath: ourBase }),
    theirs: () => theirs([model, "--kl-divergence-base", theirBase], false),
    theirsOnOurLibs: () => theirs([model, "--kl-divergence-base", libBase], false, libs),
  });
  for (const name of levels) {
    console.error(`rep ${rep + 1} of ${reps}: ${name} …`);
    const file = files.get(name)!;
    measure(name, {
      ours: () => ours({ ...common, modelPath: file, baseLogProbsPath: ourBase }),
      theirs: () => theirs([file, "--kl-divergence-base", theirBase, "--kl-divergence"], true),
      theirsOnOurLibs: () =>
        theirs([file, "--kl-divergence-base", libBase, "--kl-divergence"], true, libs),
    });
  }
}

const link = addonLinkInfo();
const load = os
  .loadavg()
  .map((l) => l.toFixed(1))
  .join(" ");
console.log(
  `starter model, ${path.relative(process.cwd(), text)}, ${chunks} chunks × ${ctx} tokens ` +
    `(batch ${BATCH}), ${threads} thread(s), ${reps} interleaved reps; addon on ` +
    `${link?.buildType ?? "?"} llama.cpp ${link?.llamaCppRelease ?? "?"}; referee ${perplexity}; ` +
    `${os.cpus().length} cores, load ${load} at the end`,
);
console.log(
  `base log-prob files, ours and llama-perplexity's: ${sha256(ourBase) === sha256(theirBase) ? "the same bytes" : "DIFFERENT bytes"}\n`,
);
console.log(
  "| Pass | PPL ours | PPL llama-perplexity | ours / theirs | mean KLD ours | mean KLD theirs | ours / theirs | same top ours | same top theirs |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const [key, { ours: a, theirs: b }] of samples) {
  const x = a[0]!;
  const y = b[0]!;
  const kld =
    x.kld === undefined || y.kld === undefined
      ? "| – | – | –"
      : `| ${x.kld.toPrecision(5)} | ${y.kld.toPrecision(5)} | ${(x.kld / y.kld).toFixed(4)}`;
  const top =
    x.top1 === undefined || y.top1 === undefined
      ? "| – | –"
      : `| ${(x.top1 * 100).toFixed(3)} % | ${(y.top1 * 100).toFixed(3)} %`;
  console.log(
    `| ${key === "base" ? "base (F16)" : key} | ${x.ppl.toFixed(4)} | ${y.ppl.toFixed(4)} | ` +
      `${(x.ppl / y.ppl).toFixed(5)} ${kld} ${top} |`,
  );
}

const wall = (runs: Measured[]) => runs.map((r) => r.wallSeconds);
const timed = (runs: Measured[]) =>
  runs.length === 0
    ? "–"
    : `${median(wall(runs)).toFixed(2)} (${Math.min(...wall(runs)).toFixed(2)})`;
const ratio = (a: Measured[], b: Measured[]) =>
  b.length === 0 ? "–" : (median(wall(a)) / median(wall(b))).toFixed(3);
console.log(
  "\nWall time, process start to exit, seconds: median of the reps (best).\n\n" +
    "| Pass | ours | llama-perplexity | ours / it | llama-perplexity on the addon's libraries | ours / it |",
);
console.log("|---|---|---|---|---|---|");
const totals: Record<Side, number> = { ours: 0, theirs: 0, theirsOnOurLibs: 0 };
for (const [key, runs] of samples) {
  for (const side of Object.keys(totals) as Side[]) {
    totals[side] += runs[side].length === 0 ? 0 : median(wall(runs[side]));
  }
  console.log(
    `| ${key === "base" ? "base (F16, writes the log-probs)" : key} | ${timed(runs.ours)} | ` +
      `${timed(runs.theirs)} | ${ratio(runs.ours, runs.theirs)} | ` +
      `${timed(runs.theirsOnOurLibs)} | ${ratio(runs.ours, runs.theirsOnOurLibs)} |`,
  );
}
console.log(
  `| all passes (sum of medians) | ${totals.ours.toFixed(2)} | ${totals.theirs.toFixed(2)} | ` +
    `${(totals.ours / totals.theirs).toFixed(3)} | ${totals.theirsOnOurLibs.toFixed(2)} | ` +
    `${libs === undefined ? "–" : (totals.ours / totals.theirsOnOurLibs).toFixed(3)} |`,
);
