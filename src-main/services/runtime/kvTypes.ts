import type { KvCacheType } from "../../contract/index.js";
import { ggmlTypeByName, type GgmlTypeInfo } from "../gguf/ggmlTypes.js";

/** node-llama-cpp's name for a KV cache type (a key of its GgmlType enum). */
export type NlcKvTypeName = "F16" | "Q8_0" | "Q5_1" | "Q5_0" | "Q4_1" | "Q4_0" | "IQ4_NL";

export function nlcTypeName(type: KvCacheType): NlcKvTypeName {
  return type.toUpperCase() as NlcKvTypeName;
}

export function kvTypeInfo(type: KvCacheType): GgmlTypeInfo {
  const info = ggmlTypeByName(type.toUpperCase());
  if (info === undefined) {
    throw new Error(`unknown KV cache type ${type}`);
  }
  return info;
}

/** Our name for a ggml type id, when it is one of the KV cache types. */
export function kvTypeFromGgmlId(id: number): KvCacheType | null {
  const names: Record<number, KvCacheType> = {
    1: "f16",
    8: "q8_0",
    7: "q5_1",
    6: "q5_0",
    3: "q4_1",
    2: "q4_0",
    20: "iq4_nl",
  };
  return names[id] ?? null;
}

export function isQuantized(type: KvCacheType): boolean {
  return type !== "f16";
}

/** Bytes of one row of `elements` values (llama.cpp's ggml_row_size). */
export function rowBytes(type: KvCacheType, elements: number): number {
  const info = kvTypeInfo(type);
  return (info.typeSize * elements) / info.blockSize;
}

export function bitsPerElement(type: KvCacheType): number {
  const info = kvTypeInfo(type);
  return (info.typeSize * 8) / info.blockSize;
}
