import os from "node:os";
import type { KvSettings, MemoryEstimate } from "../../contract/index.js";
import { safetyMargin } from "../memory/headerMemory.js";
import type { WorkerEstimate } from "./workerContract.js";

export interface Availability {
  /** The user's limit in bytes ("runtime.memoryLimit"), or null for what the system has free. */
  limitBytes: number | null;
  /** RAM the model loaded now holds and would give back when replaced. */
  reclaimableBytes: number;
  freeBytes?: number;
  totalBytes?: number;
}

/** Puts a worker estimate next to the memory available and says whether it fits. */
export function fitEstimate(
  modelId: string,
  contextSize: number,
  kv: KvSettings,
  estimate: WorkerEstimate,
  availability: Availability,
): MemoryEstimate {
  const total = availability.totalBytes ?? os.totalmem();
  const free = availability.freeBytes ?? os.freemem();
  const limit = availability.limitBytes;
  const available = limit ?? free + availability.reclaimableBytes;
  const margin = limit === null ? safetyMargin(total) : 0;
  const ramBytes = estimate.weightsRamBytes + estimate.contextRamBytes;
  return {
    modelId,
    contextSize: estimate.cells,
    kv: { k: kv.k, v: kv.v, flashAttention: kv.flashAttention },
    weightsBytes: estimate.weightsRamBytes + estimate.weightsVramBytes,
    kvBytes: estimate.kvBytes,
    computeBytes: Math.max(
      0,
      estimate.contextRamBytes + estimate.contextVramBytes - estimate.kvBytes,
    ),
    ramBytes,
    vramBytes: estimate.weightsVramBytes + estimate.contextVramBytes,
    availableBytes: available,
    marginBytes: margin,
    limitBytes: limit,
    fits: ramBytes + margin <= available,
    method: estimate.method,
  };
}

export function formatMiB(bytes: number): string {
  return bytes >= 2 ** 30
    ? `${(bytes / 2 ** 30).toFixed(2)} GiB`
    : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The refusal, in words: what it needs, where that goes, and what is there. */
export function describeShortfall(name: string, estimate: MemoryEstimate): string {
  const where =
    estimate.limitBytes === null
      ? `only ${formatMiB(estimate.availableBytes)} is free (keeping ${formatMiB(estimate.marginBytes)} for the system)`
      : `your memory limit is ${formatMiB(estimate.limitBytes)}`;
  return (
    `${name} needs about ${formatMiB(estimate.ramBytes)} of RAM with a ${estimate.contextSize}-token ` +
    `context (weights ${formatMiB(estimate.weightsBytes)}, KV cache ${formatMiB(estimate.kvBytes)} ` +
    `as ${estimate.kv.k}/${estimate.kv.v}, compute ${formatMiB(estimate.computeBytes)}), but ${where}.`
  );
}
