import os from "node:os";
import type { MemoryFit } from "../../contract/index.js";
import type { GgufFile } from "../gguf/ggufFile.js";
import { ggmlTypeByName } from "../gguf/ggmlTypes.js";
import type { ModelSummary } from "../gguf/modelSummary.js";
import {
  attentionShape,
  computeBufferBytes,
  fitFor,
  kvCacheBytes,
} from "../memory/headerMemory.js";

export interface MachineMemory {
  availableBytes: number;
  machineBytes: number;
}

export function machineMemory(): MachineMemory {
  return { availableBytes: os.freemem(), machineBytes: os.totalmem() };
}

/**
 * Whether a model fits in this machine's memory with the user's context size, from its header
 * alone: the weights (tensor bytes), the KV cache and llama.cpp's compute buffers, sized by the
 * same rules as the compression slider (`services/memory`). An estimate, stated as one.
 */
export function estimateMemoryFit(
  file: GgufFile,
  summary: ModelSummary,
  wantedContext: number,
  memory: MachineMemory,
  kvTypes: { k: string; v: string } = { k: "f16", v: "f16" },
): MemoryFit | null {
  const shape = summary.arch === null ? null : attentionShape(file.metadata, summary.arch);
  const kvK = ggmlTypeByName(kvTypes.k.toUpperCase());
  const kvV = ggmlTypeByName(kvTypes.v.toUpperCase());
  if (shape === null || kvK === undefined || kvV === undefined) {
    return null;
  }
  const contextSize =
    summary.contextLength === null ? wantedContext : Math.min(wantedContext, summary.contextLength);
  const kvBytes = kvCacheBytes(shape, contextSize, kvK, kvV);
  const computeBytes = computeBufferBytes(shape);
  const weightsBytes = summary.tensorBytes;
  const totalBytes = weightsBytes + kvBytes + computeBytes;
  return {
    contextSize,
    kvType: kvTypes.k === kvTypes.v ? kvTypes.k : `${kvTypes.k}/${kvTypes.v}`,
    weightsBytes,
    kvBytes,
    computeBytes,
    totalBytes,
    availableBytes: memory.availableBytes,
    machineBytes: memory.machineBytes,
    verdict: fitFor(totalBytes, memory.availableBytes, memory.machineBytes),
  };
}
