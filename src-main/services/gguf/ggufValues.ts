/**
 * Typed GGUF metadata values. JavaScript numbers cannot say whether 5 is a u8, an i32 or an f32,
 * and llama.cpp rejects a key of the wrong type, so every value carries its GGUF type.
 * 64-bit integers are bigints so that no value is silently rounded.
 */
interface ScalarJsTypes {
  u8: number;
  i8: number;
  u16: number;
  i16: number;
  u32: number;
  i32: number;
  f32: number;
  bool: boolean;
  string: string;
  u64: bigint;
  i64: bigint;
  f64: number;
}

export type GgufScalarType = keyof ScalarJsTypes;
export type GgufValueType = GgufScalarType | "array";

export type GgufScalarValue = {
  [T in GgufScalarType]: { readonly type: T; readonly value: ScalarJsTypes[T] };
}[GgufScalarType];

/** An array of one item type; arrays of arrays are allowed by the format (not by llama.cpp). */
export type GgufArrayValue =
  | {
      [T in GgufScalarType]: {
        readonly type: "array";
        readonly itemType: T;
        readonly value: readonly ScalarJsTypes[T][];
      };
    }[GgufScalarType]
  | {
      readonly type: "array";
      readonly itemType: "array";
      readonly value: readonly GgufArrayValue[];
    };

export type GgufValue = GgufScalarValue | GgufArrayValue;

/** The JS type of one item of an array of `T`. */
export type GgufItem<T extends GgufValueType> = T extends GgufScalarType
  ? ScalarJsTypes[T]
  : GgufArrayValue;

/** The ids `enum gguf_type` (ggml/include/gguf.h) writes into the file. */
export const ggufValueTypeIds: Readonly<Record<GgufValueType, number>> = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
};

const typesById = new Map(
  Object.entries(ggufValueTypeIds).map(([name, id]) => [id, name as GgufValueType]),
);

export function ggufValueTypeById(id: number): GgufValueType | undefined {
  return typesById.get(id);
}

/** Bytes one item takes in the file, or the minimum for variable-size items. */
export function minItemBytes(type: GgufValueType): number {
  switch (type) {
    case "u8":
    case "i8":
    case "bool":
      return 1;
    case "u16":
    case "i16":
      return 2;
    case "u32":
    case "i32":
    case "f32":
      return 4;
    case "u64":
    case "i64":
    case "f64":
    case "string":
      return 8;
    case "array":
      return 12;
  }
}

/** Constructors that make the GGUF type explicit: `ggufValue.u32(4096)`. */
export const ggufValue = {
  u8: (value: number) => ({ type: "u8", value }) as const,
  i8: (value: number) => ({ type: "i8", value }) as const,
  u16: (value: number) => ({ type: "u16", value }) as const,
  i16: (value: number) => ({ type: "i16", value }) as const,
  u32: (value: number) => ({ type: "u32", value }) as const,
  i32: (value: number) => ({ type: "i32", value }) as const,
  f32: (value: number) => ({ type: "f32", value }) as const,
  f64: (value: number) => ({ type: "f64", value }) as const,
  u64: (value: bigint | number) => ({ type: "u64", value: BigInt(value) }) as const,
  i64: (value: bigint | number) => ({ type: "i64", value: BigInt(value) }) as const,
  bool: (value: boolean) => ({ type: "bool", value }) as const,
  string: (value: string) => ({ type: "string", value }) as const,
  array: <T extends GgufValueType>(itemType: T, items: readonly GgufItem<T>[]): GgufArrayValue =>
    ({ type: "array", itemType, value: items }) as GgufArrayValue,
};
