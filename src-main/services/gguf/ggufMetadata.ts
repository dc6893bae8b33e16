import type { GgufArrayValue, GgufValue } from "./ggufValues.js";

/** Metadata in file order. */
export type GgufMetadata = ReadonlyMap<string, GgufValue>;

/** The string at `key`, or undefined when missing or not a string. */
export function metaString(metadata: GgufMetadata, key: string): string | undefined {
  const entry = metadata.get(key);
  return entry?.type === "string" ? entry.value : undefined;
}

/**
 * The number at `key` whatever its numeric GGUF type, or undefined when missing, not a number,
 * or a 64-bit integer too large to be exact as a JS number.
 */
export function metaNumber(metadata: GgufMetadata, key: string): number | undefined {
  const entry = metadata.get(key);
  if (entry === undefined) {
    return undefined;
  }
  switch (entry.type) {
    case "u64":
    case "i64":
      return bigintToSafeNumber(entry.value);
    case "string":
    case "bool":
    case "array":
      return undefined;
    default:
      return entry.value;
  }
}

export function metaBool(metadata: GgufMetadata, key: string): boolean | undefined {
  const entry = metadata.get(key);
  return entry?.type === "bool" ? entry.value : undefined;
}

export function metaArray(metadata: GgufMetadata, key: string): GgufArrayValue | undefined {
  const entry = metadata.get(key);
  return entry?.type === "array" ? entry : undefined;
}

export function bigintToSafeNumber(value: bigint): number | undefined {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : undefined;
}
