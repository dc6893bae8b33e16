import type {
  CompressionLevel,
  LevelKvType,
  LevelQuality,
  LevelsResult,
  Model,
} from "../../contract/index.js";
import { ggmlTypeById, ggmlTypeByName } from "../gguf/ggmlTypes.js";
import { readGgufFile } from "../gguf/ggufReader.js";
import {
  calibrationChunkSize,
  DEFAULT_IMATRIX_CHUNKS,
  defaultCalibrationText,
} from "./calibration.js";
import {
  DEFAULT_GPTQ_CHUNKS,
  gptqByDefault,
  gptqInfoFor,
  gptqMetadata,
  offersGptq,
} from "./gptqMethod.js";
import { imatrixMetadata } from "./imatrixMetadata.js";
import { compressionLevels, offersImatrix, type LevelDefinition } from "./levels.js";
import type { LevelPlanner } from "./levelPlanner.js";
import { extendedLevelUnavailableReason } from "./ptqtpLevels.js";
import {
  attentionShape,
  availableMemory,
  computeBufferBytes,
  fitFor,
  kvCacheBytes,
  kvTypeName,
} from "../memory/headerMemory.js";
import type { LevelPlan } from "./worker/compressWorkerContract.js";

export interface LevelsRequest {
  contextSize: number;
  kvTypeK: LevelKvType;
  kvTypeV: LevelKvType;
}

/** A model whose weights are already quantized (not just its small F32 tensors). */
export function isQuantized(model: Pick<Model, "typeHistogram">): boolean {
  return Object.keys(model.typeHistogram).some((name) => ggmlTypeByName(name)?.quantized === true);
}

/** Calibration is used unless the user says no: where llama.cpp needs it, and below 4 bits. */
export function imatrixByDefault(level: LevelDefinition, needsImatrix: boolean): boolean {
  return needsImatrix || offersImatrix(level);
}

/**
 * Every level for `model`: llama.cpp's dry run gives the exact file size and tensor types, with
 * and without calibration where that changes the mix; the model's attention shape gives the KV
 * cache for the chosen context, and free memory the fit.
 */
export async function describeLevels(
  model: Model,
  planner: LevelPlanner,
  request: LevelsRequest,
  quality: (level: string) => LevelQuality = () => null,
): Promise<LevelsResult> {
  // Calibrated sizes include the keys a default calibration writes, so they are exact too.
  const text = await defaultCalibrationText();
  const metadata =
    text === null
      ? []
      : imatrixMetadata({
          modelSha256: model.sha256,
          textSha256: text.sha256,
          dataset: text.dataset,
          chunkSize: calibrationChunkSize(model),
          maxChunks: DEFAULT_IMATRIX_CHUNKS,
        });
  const requests = compressionLevels.flatMap((level) => [
    { ftype: level.ftype, assumeImatrix: false },
    ...(offersImatrix(level) ? [{ ftype: level.ftype, assumeImatrix: true, metadata }] : []),
  ]);
  // No grids (a worker that cannot say) means no calibrated variants, never a failed list.
  const gridTypes = await planner.gptqTypes().catch(() => new Set<number>());
  // A calibrated default writes lowbit.gptq.* keys too: plan with them so its size stays exact.
  const gptqKeys =
    text === null
      ? []
      : gptqMetadata(gptqInfoFor(text, calibrationChunkSize(model), DEFAULT_GPTQ_CHUNKS));
  const calibratedByDefault = (level: LevelDefinition): boolean =>
    gptqByDefault(level, offersGptq(level, gridTypes), text !== null);
  for (const level of compressionLevels.filter(calibratedByDefault)) {
    // Only levels without an importance matrix by default are calibrated by default (PTQTP).
    requests.push({ ftype: level.ftype, assumeImatrix: false, metadata: gptqKeys });
  }
  const plans = await planner.plan(model, requests);
  const planFor = (ftype: number, withImatrix: boolean): LevelPlan | undefined =>
    plans.find((p) => p.ftype === ftype && p.assumeImatrix === withImatrix);

  const header = await readGgufFile(model.path);
  const shape = attentionShape(header.metadata, model.arch);
  const kvK = ggmlTypeByName(kvTypeName(request.kvTypeK));
  const kvV = ggmlTypeByName(kvTypeName(request.kvTypeV));
  const kvBytes =
    shape === null || kvK === undefined || kvV === undefined
      ? 0
      : kvCacheBytes(shape, request.contextSize, kvK, kvV);
  const overhead = kvBytes + computeBufferBytes(shape);
  const memory = availableMemory();
  const sourceQuantized = isQuantized(model);

  const levels = compressionLevels.map((level): CompressionLevel => {
    const plain = planFor(level.ftype, false);
    const calibrated = calibratedByDefault(level)
      ? plans.find(
          (p) => p.ftype === level.ftype && p.metadata.some((m) => m.key === "lowbit.method"),
        )
      : undefined;
    const without = calibrated ?? plain;
    const withMatrix = planFor(level.ftype, true) ?? null;
    const needsImatrix = without?.requiresImatrix ?? false;
    const useMatrix = imatrixByDefault(level, needsImatrix);
    const chosen = (useMatrix ? withMatrix : without) ?? without;
    const sizeBytes = chosen?.fileBytes ?? null;
    const bpw =
      chosen !== undefined && chosen.elements > 0
        ? (chosen.tensorBytes * 8) / chosen.elements
        : level.nominalBpw;
    const memoryBytes = (sizeBytes ?? 0) + overhead;
    const reason = unavailableReason(model, level, chosen, sourceQuantized);
    const gptqOffered = offersGptq(level, gridTypes);
    return {
      level: level.name,
      family: level.family,
      baseType: level.baseType,
      nominalBpw: level.nominalBpw,
      bpw,
      sizeBytes: sizeBytes ?? 0,
      sizeFraction: sizeBytes === null ? 0 : sizeBytes / model.sizeBytes,
      sizeBytesWithImatrix: withMatrix?.fileBytes ?? null,
      sizeBytesWithoutImatrix: without?.fileBytes ?? null,
      needsImatrix,
      imatrixOffered: offersImatrix(level) || needsImatrix,
      imatrixDefault: useMatrix,
      tensorTypes: typeNames(chosen?.tensorTypes ?? {}),
      fallbackTensors: chosen?.fallbackTensors ?? 0,
      memoryBytes,
      fits: fitFor(memoryBytes, memory.availableBytes, memory.totalBytes),
      available: reason === undefined,
      ...(reason === undefined ? {} : { reason }),
      note: level.note,
      quality: quality(level.name),
      gptqOffered,
      methodDefault: gptqByDefault(level, gptqOffered, text !== null) ? "gptq" : "rtn",
      gptqQuality: gptqOffered ? quality(`${level.name}+gptq`) : null,
    };
  });
  levels.sort((a, b) => b.bpw - a.bpw || b.sizeBytes - a.sizeBytes);
  return {
    model: {
      id: model.id,
      name: model.name,
      sizeBytes: model.sizeBytes,
      bpw: model.bpw,
      fileType: model.fileType,
      quantized: sourceQuantized,
    },
    contextSize: request.contextSize,
    kvTypeK: request.kvTypeK,
    kvTypeV: request.kvTypeV,
    kvCacheBytes: kvBytes,
    memory,
    levels,
  };
}

function unavailableReason(
  model: Model,
  level: LevelDefinition,
  plan: LevelPlan | undefined,
  sourceQuantized: boolean,
): string | undefined {
  if (level.extended === true && (plan === undefined || plan.fileBytes === null)) {
    return extendedLevelUnavailableReason(level);
  }
  if (plan === undefined || plan.fileBytes === null) {
    return `llama.cpp cannot make this level from this model: ${plan?.error?.message ?? "no plan"}`;
  }
  if (model.fileType !== null && model.fileType.toUpperCase() === level.name) {
    return `The model is already ${level.name}.`;
  }
  if (sourceQuantized && plan.fileBytes >= model.sizeBytes) {
    return `More bits than the source (${model.fileType ?? "quantized"}): it cannot bring back what was lost.`;
  }
  return undefined;
}

function typeNames(byId: Record<string, number>): Record<string, number> {
  const named: Record<string, number> = {};
  for (const [id, count] of Object.entries(byId)) {
    named[ggmlTypeById(Number(id))?.name ?? `type ${id}`] = count;
  }
  return named;
}
