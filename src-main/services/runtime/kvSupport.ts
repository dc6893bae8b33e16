import {
  kvCacheTypes,
  type KvCacheType,
  type KvCapabilities,
  type KvSettings,
} from "../../contract/index.js";
import { type KvGeometry } from "./kvGeometry.js";
import { bitsPerElement, isQuantized, kvTypeInfo } from "./kvTypes.js";

export type KvBackend = KvCapabilities["backend"];

export interface KvSupportInput {
  backend: KvBackend;
  /** CUDA builds with GGML_CUDA_FA_ALL_QUANTS=ON have flash-attention kernels for every pair. */
  cudaAllQuants: boolean;
  geometry: KvGeometry | null;
  /** false for models whose attention llama.cpp cannot run with flash attention. */
  flashAttentionSupported: boolean;
}

const V_NEEDS_FA =
  "A quantized V cache needs flash attention: without it llama.cpp stores V transposed, " +
  "so the values of one block would not sit together.";

/**
 * What each backend's flash-attention kernels accept, from the llama.cpp bundled with
 * node-llama-cpp 3.21.1 (ggml-cuda/fattn.cu, ggml-vulkan.cpp, ggml-metal-device.m; see
 * docs/kv-cache.md). Shown to the user before they pick, instead of discovered by a crash.
 */
const backendTypes: Record<KvBackend, readonly KvCacheType[]> = {
  cpu: kvCacheTypes,
  vulkan: kvCacheTypes,
  metal: ["f16", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0"],
  cuda: ["f16", "q8_0", "q4_0"],
};

export const otherBackendLimits: KvCapabilities["otherBackends"] = [
  { backend: "metal", limit: "K type must equal V type; no iq4_nl." },
  {
    backend: "cuda",
    limit:
      "Only f16/f16, q8_0/q8_0 and q4_0/q4_0 by default; other types and mixed pairs need a " +
      "build with GGML_CUDA_FA_ALL_QUANTS=ON.",
  },
  { backend: "vulkan", limit: "All types and mixed pairs, on GPUs with subgroup operations." },
  { backend: "cpu", limit: "All types and mixed pairs." },
];

export function kvCapabilities(
  input: KvSupportInput,
  model: KvCapabilities["model"],
): KvCapabilities {
  const { backend } = input;
  const allTypes = backend === "cuda" && input.cudaAllQuants ? kvCacheTypes : backendTypes[backend];
  const types = kvCacheTypes.map((type) => {
    const reason = typeProblem(type, input, allTypes);
    return { type, bitsPerElement: bitsPerElement(type), available: reason === null, reason };
  });
  const mixedAllowed = backend === "cpu" || backend === "vulkan" || input.cudaAllQuants;
  const mixedReason =
    backend === "metal"
      ? "Metal's flash-attention kernels need the same type for K and V."
      : mixedAllowed
        ? null
        : "This CUDA build has flash-attention kernels only for matching K and V types.";
  const rules = [V_NEEDS_FA];
  if (input.geometry !== null) {
    rules.push(
      `Quantized types work in blocks of 32 values; this model's head size is ${input.geometry.headDimK}.`,
    );
  }
  rules.push("Changing a setting rebuilds the context and reads the conversation back in.");
  return {
    backend,
    types,
    mixedTypes: { allowed: mixedAllowed, reason: mixedReason },
    rules,
    otherBackends: otherBackendLimits.filter((entry) => entry.backend !== backend),
    model,
  };
}

function typeProblem(
  type: KvCacheType,
  input: KvSupportInput,
  allowed: readonly KvCacheType[],
): string | null {
  if (!allowed.includes(type)) {
    return input.backend === "cuda"
      ? "Needs a CUDA build with GGML_CUDA_FA_ALL_QUANTS=ON."
      : `The ${input.backend} backend has no flash-attention kernel for ${type}.`;
  }
  if (!isQuantized(type)) {
    return null;
  }
  if (!input.flashAttentionSupported) {
    return "This model cannot use flash attention, which quantized caches rely on.";
  }
  const block = kvTypeInfo(type).blockSize;
  const geometry = input.geometry;
  if (geometry !== null && (geometry.headDimK % block !== 0 || geometry.headDimV % block !== 0)) {
    return `The model's head size (${geometry.headDimK}) is not a multiple of ${block}.`;
  }
  return null;
}

/**
 * Why `settings` cannot be used here, or null. Checked before a context is built, so a choice
 * llama.cpp would refuse (or abort on) never reaches it.
 */
export function kvSettingsProblem(
  settings: KvSettings,
  capabilities: KvCapabilities,
  contextSize: number,
): string | null {
  for (const [which, type] of [
    ["K", settings.k],
    ["V", settings.v],
  ] as const) {
    const option = capabilities.types.find((t) => t.type === type);
    if (option !== undefined && !option.available) {
      return `${which} cache type ${type} is not available: ${option.reason}`;
    }
  }
  if (settings.k !== settings.v && !capabilities.mixedTypes.allowed) {
    return `K and V must have the same type here: ${capabilities.mixedTypes.reason}`;
  }
  if (isQuantized(settings.v) && settings.flashAttention === "off") {
    return `${V_NEEDS_FA} Set flash attention to auto or on, or use an f16 V cache.`;
  }
  const { policy, sinks } = settings.evict;
  if (policy === "window") {
    const window = resolveWindow(settings, contextSize);
    if (sinks + window >= contextSize - 1) {
      return (
        `The ${sinks} sink tokens plus a window of ${window} tokens must be smaller than the ` +
        `context (${contextSize} tokens).`
      );
    }
  }
  return null;
}

/** The recent window in tokens: as set, or three quarters of the context for 0 ("auto"). */
export function resolveWindow(settings: KvSettings, contextSize: number): number {
  const { window, sinks } = settings.evict;
  return window > 0 ? window : Math.max(1, Math.floor(contextSize * 0.75) - sinks);
}
