import os from "node:os";
import type { MemoryFit } from "../../contract/index.js";
import type { GgufFile } from "../gguf/ggufFile.js";
import { metaNumber } from "../gguf/ggufMetadata.js";
import type { ModelSummary } from "../gguf/modelSummary.js";

/** Tokens llama.cpp evaluates per batch (its default n_batch/n_ubatch). */
const batchTokens = 512;

export interface MachineMemory {
  availableBytes: number;
  machineBytes: number;
}

export function machineMemory(): MachineMemory {
  return { availableBytes: os.freemem(), machineBytes: os.totalmem() };
}

/**
 * Whether a model fits in this machine's memory with the user's context size, from its header
 * alone: weights (the tensor bytes, mapped from disk), the KV cache (layers × context × KV heads ×
 * (key + value head size) × bytes per element) and llama.cpp's compute buffers for one batch
 * (roughly the logits plus a few activations of every batch token). An estimate, stated as one.
 */
export function estimateMemoryFit(
  file: GgufFile,
  summary: ModelSummary,
  wantedContext: number,
  memory: MachineMemory,
  kv: { type: string; bytesPerElement: number } = { type: "f16", bytesPerElement: 2 },
): MemoryFit | null {
  const { arch, layers, embeddingLength: embd, heads } = summary;
  if (arch === null || layers === null || embd === null || heads === null || heads === 0) {
    return null;
  }
  const contextSize =
    summary.contextLength === null ? wantedContext : Math.min(wantedContext, summary.contextLength);
  const kvHeads = summary.kvHeads ?? heads;
  const keyLength = metaNumber(file.metadata, `${arch}.attention.key_length`) ?? embd / heads;
  const valueLength = metaNumber(file.metadata, `${arch}.attention.value_length`) ?? embd / heads;
  const kvBytes = Math.round(
    layers * contextSize * kvHeads * (keyLength + valueLength) * kv.bytesPerElement,
  );
  const vocab = summary.vocabSize ?? 0;
  const ff = summary.feedForwardLength ?? 4 * embd;
  const computeBytes = Math.round(batchTokens * (vocab + 4 * embd + ff) * 4 + 32 * 2 ** 20);
  const weightsBytes = summary.tensorBytes;
  const totalBytes = weightsBytes + kvBytes + computeBytes;
  const verdict =
    totalBytes <= memory.availableBytes
      ? "fits"
      : totalBytes <= memory.machineBytes * 0.9
        ? "tight"
        : "too_big";
  return {
    contextSize,
    kvType: kv.type,
    weightsBytes,
    kvBytes,
    computeBytes,
    totalBytes,
    availableBytes: memory.availableBytes,
    machineBytes: memory.machineBytes,
    verdict,
  };
}
