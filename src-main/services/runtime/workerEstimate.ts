import {
  GgmlType,
  GgufInsights,
  readGgufFileInfo,
  type GgufFileInfo,
  type Llama,
} from "node-llama-cpp";
import type { KvCapabilities } from "../../contract/index.js";
import { kvBytes, kvBytesPerToken, kvGeometryFromMetadata, paddedCells } from "./kvGeometry.js";
import { kvCapabilities, type KvBackend } from "./kvSupport.js";
import { nlcTypeName } from "./kvTypes.js";
import type { ContextConfig, WorkerEstimate } from "./workerContract.js";

/**
 * Memory for a model with a context and KV types, before loading it. node-llama-cpp's V2
 * estimators let llama.cpp simulate the allocation (the V1 ones multiply by bytes per block
 * instead of per element and overstate a quantized KV cache ~30×); the KV part is also computed
 * exactly from the model's shape.
 */
export async function estimateMemory(
  llama: Llama,
  modelPath: string,
  config: ContextConfig,
): Promise<WorkerEstimate> {
  const info = await readGgufFileInfo(modelPath);
  const insights = await GgufInsights.from(info, llama);
  const geometry = kvGeometryFromMetadata(architectureMetadata(info));
  const cells = paddedCells(config.contextSize);
  const exactKv = geometry === null ? 0 : kvBytes(geometry, config.kv.k, config.kv.v, cells);
  const gpuLayers = llama.gpu === false ? 0 : insights.totalLayers;
  try {
    const weights = await insights.estimateModelResourceRequirementsV2({ gpuLayers });
    const context = await insights.estimateContextResourceRequirementsV2({
      contextSize: config.contextSize,
      modelGpuLayers: gpuLayers,
      flashAttention:
        config.kv.flashAttention === "auto" ? "auto" : config.kv.flashAttention === "on",
      kvCacheKeyType: GgmlType[nlcTypeName(config.kv.k)],
      kvCacheValueType: GgmlType[nlcTypeName(config.kv.v)],
    });
    return {
      weightsRamBytes: weights.cpuRam,
      weightsVramBytes: weights.gpuVram,
      contextRamBytes: context.cpuRam,
      contextVramBytes: context.gpuVram,
      kvBytes: exactKv,
      cells,
      method: "dry-run",
    };
  } catch {
    // An architecture the dry run cannot simulate: weights from the file, KV exactly, and a
    // compute allowance of a quarter of the KV cache plus 64 MiB.
    return {
      weightsRamBytes: insights.modelSize,
      weightsVramBytes: 0,
      contextRamBytes: exactKv * 1.25 + 64 * 2 ** 20,
      contextVramBytes: 0,
      kvBytes: exactKv,
      cells,
      method: "formula",
    };
  }
}

export function backendOf(llama: Llama): KvBackend {
  return llama.gpu === false ? "cpu" : llama.gpu;
}

/** The KV choices this backend allows, for the given model file (or none yet). */
export async function capabilitiesFor(
  llama: Llama,
  modelPath: string | null,
  name: string | null,
): Promise<KvCapabilities> {
  const cudaAllQuants = llama.cmakeOptions.GGML_CUDA_FA_ALL_QUANTS?.toUpperCase() === "ON";
  if (modelPath === null) {
    return kvCapabilities(
      { backend: backendOf(llama), cudaAllQuants, geometry: null, flashAttentionSupported: true },
      null,
    );
  }
  const info = await readGgufFileInfo(modelPath, { readTensorInfo: false });
  const geometry = kvGeometryFromMetadata(architectureMetadata(info));
  const insights = await GgufInsights.from(info, llama).catch(() => null);
  const train = architectureMetadata(info)?.context_length;
  return kvCapabilities(
    {
      backend: backendOf(llama),
      cudaAllQuants,
      geometry,
      flashAttentionSupported: insights?.flashAttentionSupported ?? true,
    },
    geometry === null
      ? null
      : {
          name: name ?? info.metadata.general?.name ?? "model",
          layers: geometry.layers,
          kvHeads: Math.max(...geometry.kvHeadsPerLayer),
          headDimK: geometry.headDimK,
          headDimV: geometry.headDimV,
          trainContextSize: typeof train === "number" ? train : null,
          f16BytesPerToken: kvBytesPerToken(geometry, "f16", "f16"),
        },
  );
}

export function architectureMetadata(info: GgufFileInfo): Record<string, unknown> | undefined {
  return info.architectureMetadata as Record<string, unknown> | undefined;
}
