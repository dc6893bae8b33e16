import type { Evaluation, Model, Run } from "../../contract/index.js";
import { appVersion } from "../config/version.js";
import type { GgufValue } from "../gguf/ggufValues.js";
import { addonLinkInfo } from "../native/loadAddon.js";

/** The `lowbit.*` keys an exported file carries: where it came from and how it was made. */
export type Provenance = Record<string, string | number | boolean>;

export function toolVersion(): string {
  const llama = addonLinkInfo()?.llamaCppRelease;
  return `lowbit ${appVersion()}${llama === undefined ? "" : `; llama.cpp ${llama}`}`;
}

export function provenanceFor(
  model: Model,
  run: Run | undefined,
  exportedAt: string,
  measurement?: Evaluation,
): Provenance {
  const keys: Provenance = {
    "lowbit.tool_version": toolVersion(),
    "lowbit.exported_at": exportedAt,
    ...(measurement === undefined ? {} : qualityKeys(measurement)),
  };
  if (run === undefined) {
    keys["lowbit.bpw"] = round(model.bpw);
    return keys;
  }
  keys["lowbit.run_id"] = run.id;
  keys["lowbit.source.name"] = run.sourceName;
  keys["lowbit.source.sha256"] = run.sourceSha256;
  keys["lowbit.level"] = run.level;
  keys["lowbit.bpw"] = round(run.bpw ?? model.bpw);
  keys["lowbit.imatrix"] = run.imatrix;
  if (run.imatrix) {
    keys["lowbit.imatrix.dataset"] = run.imatrixDataset ?? "";
    keys["lowbit.imatrix.text_sha256"] = run.imatrixTextSha256 ?? "";
    keys["lowbit.imatrix.chunks"] = run.options.imatrixChunks ?? 0;
  }
  keys["lowbit.method"] = run.method ?? "rtn";
  if (run.method === "gptq" && run.gptq !== undefined && run.gptq !== null) {
    keys["lowbit.gptq.damping"] = run.gptq.damping;
    keys["lowbit.gptq.text_sha256"] = run.gptq.textSha256;
    keys["lowbit.gptq.dataset"] = run.gptq.dataset;
    keys["lowbit.gptq.chunk_size"] = run.gptq.chunkSize;
    keys["lowbit.gptq.chunks"] = run.gptq.chunks;
    if (run.gptq.tokens !== null) {
      keys["lowbit.gptq.tokens"] = run.gptq.tokens;
    }
  }
  if (run.finishedAt !== null) {
    keys["lowbit.quantized_at"] = run.finishedAt;
  }
  return keys;
}

/**
 * What the model was measured to cost against its base (lowbit.quality.*): the numbers and
 * everything needed to know what they are comparable with (base, text, context, chunks).
 */
export function qualityKeys(measurement: Evaluation): Provenance {
  const m = measurement.metrics;
  if (m === null) {
    return {};
  }
  return {
    "lowbit.quality.base.name": measurement.base.name,
    "lowbit.quality.base.sha256": measurement.base.sha256,
    "lowbit.quality.text": measurement.text.name,
    "lowbit.quality.text_sha256": measurement.text.sha256,
    "lowbit.quality.context": measurement.contextSize,
    "lowbit.quality.chunks": measurement.chunks ?? 0,
    "lowbit.quality.tokens": m.tokens,
    "lowbit.quality.kld_method": measurement.kldMethod,
    "lowbit.quality.ppl": m.ppl,
    "lowbit.quality.ppl_base": m.pplBase,
    "lowbit.quality.delta_ppl": m.deltaPpl,
    "lowbit.quality.kld": m.kld,
    "lowbit.quality.kld_p99": m.kldP99,
    "lowbit.quality.top1": m.top1,
    "lowbit.quality.measured_at": measurement.finishedAt ?? measurement.createdAt,
  };
}

/** A provenance value as typed GGUF metadata: strings, f32 numbers (u32 for counts), bools. */
export function asGgufValue(key: string, value: string | number | boolean): GgufValue {
  if (typeof value === "string") {
    return { type: "string", value };
  }
  if (typeof value === "boolean") {
    return { type: "bool", value };
  }
  return Number.isInteger(value) && !key.endsWith("bpw")
    ? { type: "u32", value }
    : { type: "f32", value };
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
