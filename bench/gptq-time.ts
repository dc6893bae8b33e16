/**
 * How long calibrated rounding takes on a ~1 B-parameter model on this machine: the generated
 * TinyLlama-shaped model of bench/ptqtp-decode.ts (2048 wide, 18 blocks, 5632 FFN, random F16
 * weights), quantized by llama-quantize, then gptq() in place. Prints the calibration and the
 * compensation time (seconds, the addon's own clocks), the passes the memory cap asked for, and
 * llama-imatrix's time over the same chunks as the referee for the calibration pass (the same
 * forward passes, with squared activations instead of Gram matrices).
 *
 *   LOWBIT_PTQTP_BUILD=/tmp/lowbit-build npx tsx bench/gptq-time.ts \
 *     [--dir /tmp/ptqtp-bench] [--level Q3_K_S] [--chunks 8] [--threads 2]
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { writeTinyModel } from "../src-main/services/gguf/tinyModel.js";
import { loadAddon } from "../src-main/services/native/loadAddon.js";
import { ptqtpTool, quantizeWith } from "./ptqtp-tools.js";

const { values } = parseArgs({
  options: {
    dir: { type: "string", default: "/tmp/ptqtp-bench" },
    level: { type: "string", default: "Q3_K_S" },
    chunks: { type: "string", default: "8" },
    threads: { type: "string", default: "2" },
  },
});
const dir = values.dir;
mkdirSync(dir, { recursive: true });
const threads = Number(values.threads);
const chunks = Number(values.chunks);
const calibText = path.resolve("resources/data/brown/calib.txt");
const shape = { embd: 2048, layers: 18, ff: 5632, vocab: 32000 };
const source = path.join(dir, "llama-1b-f16.gguf");
if (!existsSync(source)) {
  console.error(`writing ${source} (random weights, F16, ~2 GB) …`);
  await writeTinyModel({ path: source, ...shape, type: "f16", seed: 7 });
}
const plain = path.join(dir, `llama-1b-${values.level}.gguf`);
if (!existsSync(plain)) {
  console.error(`quantizing to ${values.level} …`);
  quantizeWith(source, plain, values.level, { threads });
}
const target = path.join(dir, `llama-1b-${values.level}-gptq.gguf`);
copyFileSync(plain, target);

console.error("llama-imatrix over the same chunks …");
const started = performance.now();
const imatrix = spawnSync(
  ptqtpTool("llama-imatrix"),
  [
    ...["-m", source, "-f", calibText, "-c", "512", "-b", "512", "-t", String(threads)],
    ...["--chunks", String(chunks), "-o", path.join(dir, "imatrix-time.gguf")],
  ],
  { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
);
if (imatrix.status !== 0) {
  throw new Error(`llama-imatrix failed: ${`${imatrix.stdout}${imatrix.stderr}`.slice(-1500)}`);
}
const imatrixSeconds = (performance.now() - started) / 1000;

process.env.LOWBIT_ALLOW_ADDON_IN_PROCESS = "1";
console.error("gptq …");
const r = await loadAddon().gptq(
  {
    modelPath: source,
    targetPath: target,
    textPath: calibText,
    chunkSize: 512,
    maxChunks: chunks,
    threads,
  },
  (p) => {
    if (p.phase === "compensating" && p.done % 14 === 0) {
      console.error(`  ${p.done}/${p.total} ${p.name}`);
    }
  },
).promise;
const linear = shape.layers * (2 * 2048 * 2048 + 2 * 2048 * 1024 + 3 * 2048 * shape.ff);
console.log(
  `\n~1 B model (${(linear / 1e9).toFixed(2)} B linear weights), ${values.level}, ` +
    `${chunks} × 512 calibration tokens, ${threads} threads\n`,
);
console.log("| Step | seconds |");
console.log("|---|---|");
console.log(`| calibration pass (Gram matrices) | ${r.calibrationSeconds.toFixed(1)} |`);
console.log(`| llama-imatrix, same chunks (referee) | ${imatrixSeconds.toFixed(1)} |`);
console.log(
  `| compensation (${r.compensated} matrices, ${r.passes} pass${r.passes === 1 ? "" : "es"}) | ` +
    `${r.compensationSeconds.toFixed(1)} |`,
);
console.log(`| total | ${(r.calibrationSeconds + r.compensationSeconds).toFixed(1)} |`);
