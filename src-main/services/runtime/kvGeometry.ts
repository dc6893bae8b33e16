import type { KvCacheType } from "../../contract/index.js";
import { rowBytes } from "./kvTypes.js";

/** The shape of a model's KV cache, read from its GGUF architecture metadata. */
export interface KvGeometry {
  layers: number;
  /** KV heads per layer (GGUF allows a per-layer array). */
  kvHeadsPerLayer: number[];
  headDimK: number;
  headDimV: number;
}

/** llama.cpp allocates KV cells in multiples of 256 (`llama_kv_cache` pads n_ctx). */
export const KV_CELL_PADDING = 256;

export function paddedCells(contextSize: number): number {
  return Math.ceil(contextSize / KV_CELL_PADDING) * KV_CELL_PADDING;
}

type Metadata = Record<string, unknown> | undefined;

/**
 * Reads `block_count`, `attention.head_count(_kv)`, `embedding_length` and the optional
 * `attention.key_length`/`value_length` the way llama.cpp does (`llama-model.cpp` load_hparams).
 */
export function kvGeometryFromMetadata(arch: Metadata): KvGeometry | null {
  if (arch === undefined) {
    return null;
  }
  const layers = arch.block_count;
  const embd = arch.embedding_length;
  const attention = arch.attention as Metadata;
  if (typeof layers !== "number" || typeof embd !== "number" || attention === undefined) {
    return null;
  }
  const heads = perLayer(attention.head_count, layers);
  const kvHeads = perLayer(attention.head_count_kv ?? attention.head_count, layers);
  const firstHeads = heads?.find((h) => h > 0);
  if (heads === null || kvHeads === null || firstHeads === undefined) {
    return null;
  }
  const defaultHeadDim = embd / firstHeads;
  const headDimK = typeof attention.key_length === "number" ? attention.key_length : defaultHeadDim;
  const headDimV =
    typeof attention.value_length === "number" ? attention.value_length : defaultHeadDim;
  return { layers, kvHeadsPerLayer: kvHeads, headDimK, headDimV };
}

function perLayer(value: unknown, layers: number): number[] | null {
  if (typeof value === "number") {
    return Array.from({ length: layers }, () => value);
  }
  if (
    Array.isArray(value) &&
    value.length === layers &&
    value.every((v) => typeof v === "number")
  ) {
    return value as number[];
  }
  return null;
}

/**
 * K + V bytes for one token: Σ layers [row(type_k, headDimK·kvHeads) + row(type_v, headDimV·kvHeads)]
 * (`llama-kv-cache.cpp`: one K and one V tensor per layer, `n_embd_k_gqa × kv_size`).
 */
export function kvBytesPerToken(geometry: KvGeometry, k: KvCacheType, v: KvCacheType): number {
  let bytes = 0;
  for (const kvHeads of geometry.kvHeadsPerLayer) {
    if (kvHeads === 0) {
      continue; // Layers without attention (hybrid models) have no KV cache.
    }
    bytes += rowBytes(k, geometry.headDimK * kvHeads) + rowBytes(v, geometry.headDimV * kvHeads);
  }
  return bytes;
}

/** The whole allocated cache for `cells` KV cells (the padded context size). */
export function kvBytes(
  geometry: KvGeometry,
  k: KvCacheType,
  v: KvCacheType,
  cells: number,
): number {
  return kvBytesPerToken(geometry, k, v) * cells;
}

export function maxKvHeads(geometry: KvGeometry): number {
  return Math.max(0, ...geometry.kvHeadsPerLayer);
}
