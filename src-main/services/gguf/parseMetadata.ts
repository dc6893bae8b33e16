import { formatBytes } from "./formatBytes.js";
import type { ByteSpan, GgufReadLimits } from "./ggufFile.js";
import { GgufFormatError } from "./ggufFormatError.js";
import {
  ggufValueTypeById,
  minItemBytes,
  type GgufArrayValue,
  type GgufValue,
  type GgufValueType,
} from "./ggufValues.js";
import type { HeaderCursor } from "./headerCursor.js";

/** Smallest possible entry: key length (8) + 1-byte key + type (4) + 1-byte value. */
const minEntryBytes = 14;
/** No real key is near this long; a longer one means the offsets are garbage. */
const maxKeyBytes = 64 * 1024;

const corrupt = "the file is corrupt";

export interface ParsedMetadata {
  metadata: Map<string, GgufValue>;
  spans: Map<string, ByteSpan>;
}

export function parseMetadata(
  c: HeaderCursor,
  count: number,
  limits: GgufReadLimits,
): ParsedMetadata {
  if (count * minEntryBytes > c.fileRemaining) {
    throw new GgufFormatError(
      `the header claims ${count} metadata entries, but the whole file is only ` +
        `${formatBytes(c.fileSize)}: ${corrupt}`,
    );
  }
  const metadata = new Map<string, GgufValue>();
  const spans = new Map<string, ByteSpan>();
  for (let i = 0; i < count; i++) {
    c.where = `metadata entry ${i + 1} of ${count}`;
    const key = readString(c, Math.min(maxKeyBytes, limits.maxStringBytes), "key");
    if (key.length === 0) {
      throw new GgufFormatError(`${c.where} has an empty key: ${corrupt}`);
    }
    if (metadata.has(key)) {
      throw new GgufFormatError(`the metadata key '${key}' appears twice: ${corrupt}`);
    }
    c.where = `metadata key '${key}'`;
    const start = c.pos;
    metadata.set(key, readValue(c, readType(c), limits, 0));
    spans.set(key, { start, end: c.pos });
  }
  return { metadata, spans };
}

function readType(c: HeaderCursor): GgufValueType {
  const id = c.u32();
  const type = ggufValueTypeById(id);
  if (type === undefined) {
    throw new GgufFormatError(`${c.where} has an unknown value type (${id}): ${corrupt}`);
  }
  return type;
}

export function readString(c: HeaderCursor, maxBytes: number, what = "string"): string {
  const length = c.size(`the length of a ${what}`);
  if (length > maxBytes) {
    throw new GgufFormatError(
      `a ${what} of ${formatBytes(length)} in ${c.where} is longer than any model needs ` +
        `(limit ${formatBytes(maxBytes)}): ${corrupt}`,
    );
  }
  return c.bytes(length).toString("utf8");
}

function readValue(
  c: HeaderCursor,
  type: GgufValueType,
  limits: GgufReadLimits,
  depth: number,
): GgufValue {
  switch (type) {
    case "u8":
      return { type, value: c.u8() };
    case "i8":
      return { type, value: c.i8() };
    case "u16":
      return { type, value: c.u16() };
    case "i16":
      return { type, value: c.i16() };
    case "u32":
      return { type, value: c.u32() };
    case "i32":
      return { type, value: c.i32() };
    case "f32":
      return { type, value: c.f32() };
    case "f64":
      return { type, value: c.f64() };
    case "u64":
      return { type, value: c.u64() };
    case "i64":
      return { type, value: c.i64() };
    case "bool":
      return { type, value: readBool(c) };
    case "string":
      return { type, value: readString(c, limits.maxStringBytes) };
    case "array":
      return readArray(c, limits, depth + 1);
  }
}

/** Any non-zero byte is true, as in llama.cpp. */
function readBool(c: HeaderCursor): boolean {
  return c.u8() !== 0;
}

function readArray(c: HeaderCursor, limits: GgufReadLimits, depth: number): GgufArrayValue {
  if (depth > limits.maxArrayDepth) {
    throw new GgufFormatError(
      `${c.where} nests arrays more than ${limits.maxArrayDepth} deep: ${corrupt}`,
    );
  }
  const itemType = readType(c);
  const length = c.size("an array length");
  if (length > limits.maxArrayItems) {
    throw new GgufFormatError(
      `${c.where} claims an array of ${length} items, more than any model needs ` +
        `(limit ${limits.maxArrayItems}): ${corrupt}`,
    );
  }
  if (length * minItemBytes(itemType) > c.fileRemaining) {
    throw new GgufFormatError(
      `${c.where} claims an array of ${length} items, more than the rest of the file ` +
        `(${formatBytes(c.fileRemaining)}) can hold: the file is corrupt or truncated`,
      "download it again",
    );
  }
  const items: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const value = readValue(c, itemType, limits, depth);
    items[i] = value.type === "array" ? value : value.value;
  }
  return { type: "array", itemType, value: items } as GgufArrayValue;
}
