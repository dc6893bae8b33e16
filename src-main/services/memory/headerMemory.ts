import os from "node:os";
import type { Fit, LevelKvType } from "../../contract/index.js";
import { bytesForElements, type GgmlTypeInfo } from "../gguf/ggmlTypes.js";
import { metaArray, metaNumber, type GgufMetadata } from "../gguf/ggufMetadata.js";

/** The attention shape of a model, as llama.cpp sizes its KV cache from it. */
export interface AttentionShape {
  layers: number;
  kvHeads: number;
  keyLength: number;
  valueLength: number;
  vocabSize: number;
}

/** Reads the attention shape from `<arch>.*` keys; null when the model does not say. */
export function attentionShape(metadata: GgufMetadata, arch: string): AttentionShape | null {
  const layers = metaNumber(metadata, `${arch}.block_count`);
  const embd = metaNumber(metadata, `${arch}.embedding_length`);
  const heads = perLayerMax(metadata, `${arch}.attention.head_count`);
  if (layers === undefined || embd === undefined || heads === undefined || heads === 0) {
    return null;
  }
  const kvHeads = perLayerMax(metadata, `${arch}.attention.head_count_kv`) ?? heads;
  const keyLength = metaNumber(metadata, `${arch}.attention.key_length`) ?? embd / heads;
  const valueLength = metaNumber(metadata, `${arch}.attention.value_length`) ?? embd / heads;
  const vocabSize =
    metaNumber(metadata, `${arch}.vocab_size`) ??
    metaArray(metadata, "tokenizer.ggml.tokens")?.value.length ??
    0;
  return { layers, kvHeads, keyLength, valueLength, vocabSize };
}

function perLayerMax(metadata: GgufMetadata, key: string): number | undefined {
  const single = metaNumber(metadata, key);
  if (single !== undefined) {
    return single;
  }
  const list = metaArray(metadata, key);
  if (list === undefined || list.value.length === 0) {
    return undefined;
  }
  return Math.max(...list.value.map((v) => Number(v)));
}

/**
 * KV cache bytes for `contextSize` tokens (src/llama-kv-cache.cpp): per layer, one row of K and
 * one of V per cell, for a cache rounded up to a multiple of 256 cells.
 */
export function kvCacheBytes(
  shape: AttentionShape,
  contextSize: number,
  typeK: GgmlTypeInfo,
  typeV: GgmlTypeInfo,
): number {
  const cells = Math.ceil(contextSize / 256) * 256;
  const kRow = bytesForElements(typeK, shape.keyLength * shape.kvHeads);
  const vRow = bytesForElements(typeV, shape.valueLength * shape.kvHeads);
  return shape.layers * (kRow + vRow) * cells;
}

/**
 * Compute buffers, roughly: logits for a batch of 512 tokens plus a fixed allowance for the
 * graph's activations. An estimate on purpose; the fit badge keeps a margin for it.
 */
export function computeBufferBytes(shape: AttentionShape | null): number {
  const logits = (shape?.vocabSize ?? 32_000) * 4 * 512;
  return logits + 96 * 2 ** 20;
}

/** Memory the OS can give us now (MemAvailable on Linux). */
export function availableMemory(): { availableBytes: number; totalBytes: number } {
  return { availableBytes: os.freemem(), totalBytes: os.totalmem() };
}

/**
 * Memory llama.cpp should leave free, as it does itself (1 GiB per device), or a tenth of a small
 * machine. One rule for every fit badge: the download check, the compression slider and the
 * pre-load estimate.
 */
export function safetyMargin(totalBytes: number): number {
  return Math.min(2 ** 30, Math.floor(totalBytes / 10));
}

/**
 * fits: in the memory free now, with the margin to spare; tight: only once other programs give
 * memory back (it fits the machine); no: more than this machine has.
 */
export function fitFor(neededBytes: number, availableBytes: number, totalBytes: number): Fit {
  const withMargin = neededBytes + safetyMargin(totalBytes);
  if (withMargin <= availableBytes) {
    return "fits";
  }
  return withMargin <= totalBytes ? "tight" : "no";
}

/** The ggml type name of a KV cache type ("q8_0" → "Q8_0"). */
export function kvTypeName(type: LevelKvType): string {
  return type.toUpperCase();
}
