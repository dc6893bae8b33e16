/**
 * A model's level table in the format of llama.cpp's published tables
 * (tools/perplexity/README.md), from the measurements a sweep stored:
 *
 *   LOWBIT_HOME=DIR lowbit sweep "Lowbit Starter 18M" --levels … --chunks 64 --threads 1
 *   npx tsx bench/level-table.ts --home DIR [--model "Lowbit Starter 18M"]
 *
 * One row per level (its newest finished measurement against the model), largest first, with the
 * model itself as the reference row. Open it only after the sweep has ended: opening Lowbit's
 * services marks a job still running in that home as interrupted.
 */
import { parseArgs } from "node:util";
import type { Evaluation } from "../src-main/contract/index.js";
import { openLowbit } from "../src-main/services/lowbit.js";

const { values } = parseArgs({
  options: {
    home: { type: "string" },
    model: { type: "string", default: "Lowbit Starter 18M" },
  },
});
if (values.home === undefined) {
  throw new Error("--home DIR: the Lowbit home the sweep ran in");
}
const app = await openLowbit({ home: values.home, shell: "cli", registerStarterModel: true });
try {
  const base = app.library.resolve(values.model);
  const newest = new Map<string, Evaluation>();
  for (const e of app.evaluate.list(5000, { modelId: base.id })) {
    const level = e.model.level ?? e.model.name;
    if (e.status === "done" && e.base.sha256 === base.sha256 && !newest.has(level)) {
      newest.set(level, e);
    }
  }
  const rows = [...newest.values()].sort((a, b) => b.model.sizeBytes - a.model.sizeBytes);
  const first = rows[0];
  if (first === undefined) {
    throw new Error(`nothing measured against ${base.name} in ${values.home}`);
  }
  const MiB = 2 ** 20;
  const pm = (value: number, error: number, digits: number) =>
    `${value.toFixed(digits)} ± ${error.toFixed(digits)}`;
  console.log(
    `${base.name} (${(base.sizeBytes / MiB).toFixed(1)} MiB, ${base.fileType}), text ` +
      `${first.text.name} (sha256 ${first.text.sha256.slice(0, 12)}…), ${first.chunks} chunks × ` +
      `${first.contextSize} tokens (${first.metrics?.tokens} scored), ${first.threads} thread(s), ` +
      `${first.machine}\n`,
  );
  console.log(
    "| Quantization | imatrix | Size [MiB] | bpw | PPL | ΔPPL | KLD | Same top p | Mean Δp | RMS Δp | decode tok/s |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  const m0 = first.metrics!;
  console.log(
    `| ${base.fileType} (the model) | – | ${(base.sizeBytes / MiB).toFixed(2)} | ` +
      `${base.bpw.toFixed(2)} | ${pm(m0.pplBase, m0.pplBaseError, 3)} | – | – | – | – | – | – |`,
  );
  for (const e of rows) {
    const m = e.metrics!;
    const run = e.runId === null ? null : app.compress.runs.get(e.runId);
    const imatrix =
      run === null
        ? "?"
        : run.imatrix
          ? `${run.imatrixDataset ?? "yes"}, ${run.options.imatrixChunks ?? "?"} chunks`
          : "None";
    console.log(
      `| ${e.model.level} | ${imatrix} | ${(e.model.sizeBytes / MiB).toFixed(2)} | ` +
        `${e.model.bpw.toFixed(2)} | ${pm(m.ppl, m.pplError, 3)} | ` +
        `${pm(m.deltaPpl, m.deltaPplError, 3)} | ${pm(m.kld, m.kldError, 6)} | ` +
        `${pm(m.top1 * 100, m.top1Error * 100, 2)} % | ` +
        `${pm(m.deltaP.mean * 100, m.deltaP.error * 100, 3)} % | ` +
        `${pm(m.deltaP.rms * 100, m.deltaP.rmsError * 100, 3)} % | ` +
        `${m.decodeTps === null ? "–" : m.decodeTps.toFixed(0)} |`,
    );
  }
} finally {
  app.close();
}
