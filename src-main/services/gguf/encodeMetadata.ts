import type { ByteWriter } from "./byteWriter.js";
import { ggufValueTypeIds, type GgufScalarType, type GgufValue } from "./ggufValues.js";

/**
 * A value already in GGUF encoding (type id and bytes), copied verbatim — how a metadata rewrite
 * keeps values it did not change exactly as they were, invalid UTF-8 included.
 */
export class EncodedGgufValue {
  constructor(readonly bytes: Buffer) {}
}

export type GgufValueInput = GgufValue | EncodedGgufValue;

const integerRanges: Partial<Record<GgufScalarType, readonly [number, number]>> = {
  u8: [0, 0xff],
  i8: [-0x80, 0x7f],
  u16: [0, 0xffff],
  i16: [-0x8000, 0x7fff],
  u32: [0, 0xffffffff],
  i32: [-0x80000000, 0x7fffffff],
};
const bigintRanges: Partial<Record<GgufScalarType, readonly [bigint, bigint]>> = {
  u64: [0n, 2n ** 64n - 1n],
  i64: [-(2n ** 63n), 2n ** 63n - 1n],
};

/** Writes one key/value pair; throws a TypeError naming the key when a value does not fit. */
export function encodeEntry(w: ByteWriter, key: string, value: GgufValueInput): void {
  w.string(key);
  if (value instanceof EncodedGgufValue) {
    w.bytes(value.bytes);
    return;
  }
  w.u32(ggufValueTypeIds[value.type]);
  encodeValue(w, value.type, value.type === "array" ? value : value.value, key);
}

function encodeValue(w: ByteWriter, type: GgufValue["type"], value: unknown, key: string): void {
  if (type === "array") {
    encodeArray(w, value, key);
    return;
  }
  checkScalar(type, value, key);
  switch (type) {
    case "u8":
      return w.u8(value as number);
    case "i8":
      return w.i8(value as number);
    case "u16":
      return w.u16(value as number);
    case "i16":
      return w.i16(value as number);
    case "u32":
      return w.u32(value as number);
    case "i32":
      return w.i32(value as number);
    case "f32":
      return w.f32(value as number);
    case "f64":
      return w.f64(value as number);
    case "u64":
      return w.u64(value as bigint);
    case "i64":
      return w.i64(value as bigint);
    case "bool":
      return w.u8(value ? 1 : 0);
    case "string":
      return w.string(value as string);
  }
}

function encodeArray(w: ByteWriter, array: unknown, key: string): void {
  const { itemType, value } = array as { itemType: GgufValue["type"]; value: readonly unknown[] };
  if (!(itemType in ggufValueTypeIds) || !Array.isArray(value)) {
    throw new TypeError(`metadata key '${key}': an array needs an item type and a list of items`);
  }
  w.u32(ggufValueTypeIds[itemType]);
  w.u64(value.length);
  for (const item of value) {
    encodeValue(w, itemType, item, key);
  }
}

function checkScalar(type: GgufScalarType, value: unknown, key: string): void {
  const fail = (why: string) => {
    throw new TypeError(`metadata key '${key}': ${why}`);
  };
  const range = integerRanges[type];
  const bigRange = bigintRanges[type];
  if (range !== undefined) {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      fail(`a ${type} must be an integer, got ${String(value)}`);
    } else if (value < range[0] || value > range[1]) {
      fail(`${value} does not fit in a ${type}`);
    }
  } else if (bigRange !== undefined) {
    if (typeof value !== "bigint") {
      fail(`a ${type} must be a bigint, got ${typeof value}`);
    } else if (value < bigRange[0] || value > bigRange[1]) {
      fail(`${value} does not fit in a ${type}`);
    }
  } else if (type === "f32" || type === "f64") {
    if (typeof value !== "number") {
      fail(`a ${type} must be a number, got ${typeof value}`);
    }
  } else if (typeof value !== (type === "bool" ? "boolean" : "string")) {
    fail(`a ${type} value must be a ${type === "bool" ? "boolean" : "string"}`);
  }
}
