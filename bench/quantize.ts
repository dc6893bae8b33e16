/**
 * Lowbit's quantize (the native addon, as the model worker runs it) against llama.cpp's
 * `llama-quantize` on the same model, level and threads, in one run:
 *
 *   npx tsx bench/quantize.ts [--levels Q4_K_M,Q8_0,Q6_K,Q2_K,IQ2_XXS] [--threads 1] [--runs 5]
 *                             [--model resources/models/lowbit-starter-18m.gguf]
 *
 * For each level the three are interleaved `--runs` times, each in a fresh process as a job's
 * worker is: ours (the addon's llama_model_quantize call, timed around it by bench/quantize-one.mjs),
 * the referee over its own native build and over node-llama-cpp's prebuilt libraries
 * (llama-quantize's printed "quantize time": the same call). Prints medians, the
 * ratios ours / referee, and whether the files are byte-identical. IQ2_XXS needs an importance
 * matrix: one is computed once by the addon and given to both, with the same metadata
 * llama-quantize writes for it. Builds llama-quantize first if it is missing (bench/quantize-referee.ts).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { levelByName } from "../src-main/services/compress/levels.js";
import type { LowbitAddon, NativeQuantizeOptions } from "../src-main/services/native/AddonTypes.js";
import { addonLinkInfo, addonPath, loadAddon } from "../src-main/services/native/loadAddon.js";
import { ensureLlamaQuantize, llamaQuantize, median, type Referee } from "./quantize-referee.js";

const { values } = parseArgs({
  options: {
    levels: { type: "string", default: "Q4_K_M,Q8_0,Q6_K,Q2_K,IQ2_XXS" },
    threads: { type: "string", default: "1" },
    runs: { type: "string", default: "5" },
    model: { type: "string", default: "resources/models/lowbit-starter-18m.gguf" },
  },
});
const threads = Number(values.threads);
const runs = Number(values.runs);
const model = path.resolve(values.model);
const levels = values.levels.split(",").map((name) => {
  const level = levelByName(name);
  if (level === undefined) {
    throw new Error(`unknown level ${name}`);
  }
  return level;
});

ensureLlamaQuantize();
process.env.LOWBIT_ALLOW_ADDON_IN_PROCESS = "1";
const addon: LowbitAddon = loadAddon();
const temp = mkdtempSync(path.join(os.tmpdir(), "lowbit-bench-quantize-"));

/** An importance matrix for the levels that need one, made once by the addon. */
async function imatrixFor(): Promise<{
  path: string;
  metadata: NativeQuantizeOptions["metadata"];
}> {
  const file = path.join(temp, "starter.imatrix.gguf");
  await addon.computeImatrix({
    modelPath: model,
    textPath: path.resolve("resources/data/brown/calib.txt"),
    outputPath: file,
    chunkSize: 512,
    maxChunks: 16,
    threads: 1,
    datasetName: "brown/calib.txt",
  }).promise;
  const summary = addon.readImatrix(file);
  // What tools/quantize/quantize.cpp writes for an importance matrix, in its order.
  return {
    path: file,
    metadata: [
      { key: "quantize.imatrix.file", value: file },
      { key: "quantize.imatrix.dataset", value: summary.datasets[0] ?? "" },
      { key: "quantize.imatrix.entries_count", value: summary.entries },
      { key: "quantize.imatrix.chunks_count", value: summary.chunkCount },
    ],
  };
}

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

interface Row {
  level: string;
  /** Medians, then the best (shortest) runs: on a shared machine the best says what the code costs. */
  ours: number;
  native: number;
  prebuilt: number;
  oursBest: number;
  nativeBest: number;
  prebuiltBest: number;
  identical: boolean;
}

const rows: Row[] = [];
let calibration: Awaited<ReturnType<typeof imatrixFor>> | null = null;
for (const level of levels) {
  const needsImatrix = level.name.startsWith("IQ2") || level.name.startsWith("IQ1");
  if (needsImatrix) {
    calibration ??= await imatrixFor();
  }
  const times: Record<"ours" | Referee, number[]> = { ours: [], native: [], prebuilt: [] };
  const hashes = new Set<string>();
  for (let r = 0; r < runs; r++) {
    // Rotate who goes first, so that a slow moment of this shared machine spreads evenly.
    const order = (["ours", "native", "prebuilt"] as const).map(
      (_, i, all) => all[(i + r) % all.length]!,
    );
    for (const who of order) {
      const output = path.join(temp, `${level.name}-${who}.gguf`);
      if (who === "ours") {
        const options: NativeQuantizeOptions = {
          inputPath: model,
          outputPath: output,
          ftype: level.ftype,
          threads,
          ...(needsImatrix && calibration !== null
            ? { imatrixPath: calibration.path, metadata: calibration.metadata }
            : {}),
        };
        const run = spawnSync(
          process.execPath,
          ["bench/quantize-one.mjs", addonPath(), JSON.stringify(options)],
          { encoding: "utf8" },
        );
        if (run.status !== 0) {
          throw new Error(`our quantize failed: ${run.stderr.slice(-800)}`);
        }
        times.ours.push((JSON.parse(run.stdout) as { seconds: number }).seconds);
      } else {
        const run = llamaQuantize(who, {
          input: model,
          output,
          level: level.name,
          threads,
          ...(needsImatrix && calibration !== null ? { imatrix: calibration.path } : {}),
        });
        times[who].push(run.quantizeSeconds);
      }
      hashes.add(sha256(output));
      rmSync(output, { force: true });
    }
  }
  rows.push({
    level: level.name,
    ours: median(times.ours),
    native: median(times.native),
    prebuilt: median(times.prebuilt),
    oursBest: Math.min(...times.ours),
    nativeBest: Math.min(...times.native),
    prebuiltBest: Math.min(...times.prebuilt),
    identical: hashes.size === 1,
  });
}
rmSync(temp, { recursive: true, force: true });

const link = addonLinkInfo();
console.log(
  `model ${path.relative(process.cwd(), model)}, ${threads} thread(s), median of ${runs} ` +
    `interleaved runs; addon linked against ${link?.buildType ?? "?"} llama.cpp ${link?.llamaCppRelease ?? "?"}`,
);
console.log(
  "| Level | Lowbit (s) | llama-quantize, native (s) | ours / native | llama-quantize, prebuilt libs (s) | ours / prebuilt | Same bytes |",
);
console.log("|---|---|---|---|---|---|---|");
const pair = (median: number, best: number) => `${median.toFixed(3)} (best ${best.toFixed(3)})`;
const ratio = (a: number, b: number, aBest: number, bBest: number) =>
  `${(a / b).toFixed(2)} (best ${(aBest / bBest).toFixed(2)})`;
for (const row of rows) {
  console.log(
    `| ${row.level} | ${pair(row.ours, row.oursBest)} | ${pair(row.native, row.nativeBest)} | ` +
      `${ratio(row.ours, row.native, row.oursBest, row.nativeBest)} | ` +
      `${pair(row.prebuilt, row.prebuiltBest)} | ` +
      `${ratio(row.ours, row.prebuilt, row.oursBest, row.prebuiltBest)} | ${row.identical ? "yes" : "NO"} |`,
  );
}
const total = (key: keyof Omit<Row, "level" | "identical">) =>
  rows.reduce((sum, r) => sum + r[key], 0);
console.log(
  `all levels: ours / native ${(total("ours") / total("native")).toFixed(3)} ` +
    `(best ${(total("oursBest") / total("nativeBest")).toFixed(3)}), ours / prebuilt ` +
    `${(total("ours") / total("prebuilt")).toFixed(3)} (best ${(total("oursBest") / total("prebuiltBest")).toFixed(3)})`,
);
