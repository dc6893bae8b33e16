import path from "node:path";
import type { Evaluation, Model, Run } from "../../contract/index.js";
import { toolVersion } from "./provenance.js";

/** A short Markdown card that travels with an exported model. */
export function modelCard(
  model: Model,
  run: Run | undefined,
  file: string,
  sha256: string,
  measurement?: Evaluation,
): string {
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const rows: Array<[string, string]> = [];
  if (run !== undefined) {
    rows.push(["Level", run.level]);
    rows.push(["Source", `${run.sourceName}, sha256 \`${run.sourceSha256}\``]);
    rows.push([
      "Calibration",
      run.imatrix
        ? `importance matrix from ${run.imatrixDataset ?? "a text"} (text sha256 \`${run.imatrixTextSha256 ?? "?"}\`, ${run.options.imatrixChunks ?? "?"} chunks)`
        : "none",
    ]);
    rows.push([
      "Made",
      `${run.finishedAt ?? run.createdAt}, in ${((run.durationMs ?? 0) / 1000).toFixed(1)} s with ${run.threads} threads on ${run.machine}`,
    ]);
  }
  rows.push([
    "Size",
    `${mib(model.sizeBytes)} (${model.sizeBytes.toLocaleString("en-US")} bytes), ${(run?.bpw ?? model.bpw).toFixed(2)} bits per weight`,
  ]);
  rows.push(["Architecture", `${model.arch}, ${(model.params / 1e6).toFixed(1)} M parameters`]);
  rows.push(["File sha256", `\`${sha256}\``]);
  rows.push(["Quality", qualityText(measurement)]);
  const name = path.basename(file);
  return [
    `# ${model.name}`,
    "",
    run === undefined
      ? `Exported with ${toolVersion()}.`
      : `Quantized to ${run.level} from **${run.sourceName}** with ${toolVersion()}.`,
    "",
    "| | |",
    "|---|---|",
    ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, "\\|")} |`),
    "",
    "## Use it",
    "",
    `- llama.cpp: \`llama-cli -m ${name}\``,
    `- Lowbit: \`lowbit models import ${name}\``,
    "",
    `The same facts are in the file's metadata, under \`lowbit.*\`. Check the download with \`sha256sum -c ${name}.sha256\`.`,
    "",
  ].join("\n");
}

function qualityText(measurement: Evaluation | undefined): string {
  const m = measurement?.metrics ?? null;
  if (measurement === undefined || m === null) {
    return "not measured yet";
  }
  const sign = m.deltaPpl >= 0 ? "+" : "−";
  return (
    `mean KL divergence ${m.kld.toFixed(4)} (99th percentile ${m.kldP99.toFixed(3)}), ` +
    `same top token ${(m.top1 * 100).toFixed(1)} %, PPL ${m.ppl.toFixed(2)} ` +
    `(${sign}${Math.abs(m.deltaPpl).toFixed(2)} against ${measurement.base.name}), ` +
    `over ${m.tokens.toLocaleString("en-US")} tokens of ${measurement.text.name} at context ${measurement.contextSize}`
  );
}
