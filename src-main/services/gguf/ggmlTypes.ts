/**
 * The ggml tensor types of the llama.cpp bundled in node-llama-cpp 3.21.1
 * (`ggml/include/ggml.h` enum ggml_type, `ggml/src/ggml.c` type_traits). The byte sizes are
 * `sizeof(block_*)` from `ggml/src/ggml-common.h`, checked by compiling the header; the model
 * tests compare every row against the loaded native library.
 */
export interface GgmlTypeInfo {
  /** The enum value written into GGUF tensor infos. */
  readonly id: number;
  /** The enum name without `GGML_TYPE_`, e.g. "Q4_K". */
  readonly name: string;
  /** Elements per block (1 for plain float/int types). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
  readonly quantized: boolean;
}

type Row = readonly [id: number, name: string, blockSize: number, typeSize: number];

const QK_K = 256;

const stockRows: readonly Row[] = [
  [0, "F32", 1, 4],
  [1, "F16", 1, 2],
  [2, "Q4_0", 32, 18],
  [3, "Q4_1", 32, 20],
  [6, "Q5_0", 32, 22],
  [7, "Q5_1", 32, 24],
  [8, "Q8_0", 32, 34],
  [9, "Q8_1", 32, 36],
  [10, "Q2_K", QK_K, 84],
  [11, "Q3_K", QK_K, 110],
  [12, "Q4_K", QK_K, 144],
  [13, "Q5_K", QK_K, 176],
  [14, "Q6_K", QK_K, 210],
  [15, "Q8_K", QK_K, 292],
  [16, "IQ2_XXS", QK_K, 66],
  [17, "IQ2_XS", QK_K, 74],
  [18, "IQ3_XXS", QK_K, 98],
  [19, "IQ1_S", QK_K, 50],
  [20, "IQ4_NL", 32, 18],
  [21, "IQ3_S", QK_K, 110],
  [22, "IQ2_S", QK_K, 82],
  [23, "IQ4_XS", QK_K, 136],
  [24, "I8", 1, 1],
  [25, "I16", 1, 2],
  [26, "I32", 1, 4],
  [27, "I64", 1, 8],
  [28, "F64", 1, 8],
  [29, "IQ1_M", QK_K, 56],
  [30, "BF16", 1, 2],
  [34, "TQ1_0", QK_K, 54],
  [35, "TQ2_0", QK_K, 66],
  [39, "MXFP4", 32, 17],
  [40, "NVFP4", 64, 36],
  [41, "Q1_0", 128, 18],
  [42, "Q2_0", 64, 18],
];

/**
 * Our own types, from native/ggml-ext (ids chosen away from upstream's range so a future
 * llama.cpp cannot reuse them; native/ggml-ext/README.md says why these). Only the Lowbit
 * extended runtime loads them.
 */
const extensionRows: readonly Row[] = [
  [96, "PTQTP1", QK_K, 112],
  [97, "PTQTP2", QK_K, 136],
];

/** Ids of the types only the Lowbit extended runtime knows. */
export const extensionGgmlTypeIds: ReadonlySet<number> = new Set(extensionRows.map(([id]) => id));

/** Ids llama.cpp once used and now rejects, with the reason it gives. */
export const removedGgmlTypes: ReadonlyMap<number, string> = new Map([
  [4, "Q4_2 (support removed from llama.cpp)"],
  [5, "Q4_3 (support removed from llama.cpp)"],
  [31, "Q4_0_4_4 (removed; llama.cpp now repacks Q4_0 at load time)"],
  [32, "Q4_0_4_8 (removed; llama.cpp now repacks Q4_0 at load time)"],
  [33, "Q4_0_8_8 (removed; llama.cpp now repacks Q4_0 at load time)"],
  [36, "IQ4_NL_4_4 (removed; llama.cpp now repacks IQ4_NL at load time)"],
  [37, "IQ4_NL_4_8 (removed; llama.cpp now repacks IQ4_NL at load time)"],
  [38, "IQ4_NL_8_8 (removed; llama.cpp now repacks IQ4_NL at load time)"],
]);

/** GGML_TYPE_COUNT of the bundled llama.cpp: stock ids are below this. */
export const stockGgmlTypeCount = 43;

function toInfo([id, name, blockSize, typeSize]: Row): GgmlTypeInfo {
  const quantized = blockSize > 1;
  return Object.freeze({ id, name, blockSize, typeSize, quantized });
}

/** Every type this app can read, stock and ours, in id order. */
export const ggmlTypes: readonly GgmlTypeInfo[] = [...stockRows, ...extensionRows]
  .map(toInfo)
  .sort((a, b) => a.id - b.id);

const byId = new Map(ggmlTypes.map((t) => [t.id, t]));
const byUpperName = new Map(ggmlTypes.map((t) => [t.name.toUpperCase(), t]));

/** The type with this GGUF id, or undefined when unknown or removed. */
export function ggmlTypeById(id: number): GgmlTypeInfo | undefined {
  return byId.get(id);
}

/** Looks a type up by name, case-insensitively ("q4_K", "Q4_K" and "q4_k" all work). */
export function ggmlTypeByName(name: string): GgmlTypeInfo | undefined {
  return byUpperName.get(name.toUpperCase());
}

/** Resolves an id, a name or an info to the info; throws on anything unknown. */
export function resolveGgmlType(type: GgmlTypeInfo | number | string): GgmlTypeInfo {
  const info =
    typeof type === "number"
      ? ggmlTypeById(type)
      : typeof type === "string"
        ? ggmlTypeByName(type)
        : type;
  if (info === undefined) {
    throw new RangeError(`unknown ggml type ${JSON.stringify(type)}`);
  }
  return info;
}

/**
 * Bytes that `elements` values of `type` take. Throws when `elements` is not a whole number of
 * blocks, since ggml cannot store a partial block.
 */
export function bytesForElements(type: GgmlTypeInfo | number | string, elements: number): number {
  const info = resolveGgmlType(type);
  if (!Number.isSafeInteger(elements) || elements < 0) {
    throw new RangeError(`element count must be a non-negative integer, got ${elements}`);
  }
  if (elements % info.blockSize !== 0) {
    throw new RangeError(
      `${elements} elements are not a whole number of ${info.name} blocks (${info.blockSize} each)`,
    );
  }
  return (elements / info.blockSize) * info.typeSize;
}

/** Bits per weight of a type on its own, e.g. 4.5 for Q4_K. */
export function bitsPerWeight(type: GgmlTypeInfo | number | string): number {
  const info = resolveGgmlType(type);
  return (info.typeSize * 8) / info.blockSize;
}
