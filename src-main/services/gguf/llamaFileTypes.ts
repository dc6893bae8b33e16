/**
 * `enum llama_ftype` of the bundled llama.cpp (`include/llama.h`), stored in a GGUF as
 * `general.file_type`. It names the quantization mix ("Q4_K_M"), not the type of every tensor.
 * `description` is what llama.cpp's llama_ftype_name prints (`src/llama-model-loader.cpp`).
 */
export interface LlamaFileTypeInfo {
  readonly id: number;
  /** The enum name without `LLAMA_FTYPE_MOSTLY_` / `LLAMA_FTYPE_ALL_`, e.g. "Q4_K_M". */
  readonly name: string;
  readonly description: string;
}

const rows: readonly (readonly [number, string, string])[] = [
  [0, "F32", "all F32"],
  [1, "F16", "F16"],
  [2, "Q4_0", "Q4_0"],
  [3, "Q4_1", "Q4_1"],
  [7, "Q8_0", "Q8_0"],
  [8, "Q5_0", "Q5_0"],
  [9, "Q5_1", "Q5_1"],
  [10, "Q2_K", "Q2_K - Medium"],
  [11, "Q3_K_S", "Q3_K - Small"],
  [12, "Q3_K_M", "Q3_K - Medium"],
  [13, "Q3_K_L", "Q3_K - Large"],
  [14, "Q4_K_S", "Q4_K - Small"],
  [15, "Q4_K_M", "Q4_K - Medium"],
  [16, "Q5_K_S", "Q5_K - Small"],
  [17, "Q5_K_M", "Q5_K - Medium"],
  [18, "Q6_K", "Q6_K"],
  [19, "IQ2_XXS", "IQ2_XXS - 2.0625 bpw"],
  [20, "IQ2_XS", "IQ2_XS - 2.3125 bpw"],
  [21, "Q2_K_S", "Q2_K - Small"],
  [22, "IQ3_XS", "IQ3_XS - 3.3 bpw"],
  [23, "IQ3_XXS", "IQ3_XXS - 3.0625 bpw"],
  [24, "IQ1_S", "IQ1_S - 1.5625 bpw"],
  [25, "IQ4_NL", "IQ4_NL - 4.5 bpw"],
  [26, "IQ3_S", "IQ3_S - 3.4375 bpw"],
  [27, "IQ3_M", "IQ3_S mix - 3.66 bpw"],
  [28, "IQ2_S", "IQ2_S - 2.5 bpw"],
  [29, "IQ2_M", "IQ2_M - 2.7 bpw"],
  [30, "IQ4_XS", "IQ4_XS - 4.25 bpw"],
  [31, "IQ1_M", "IQ1_M - 1.75 bpw"],
  [32, "BF16", "BF16"],
  [36, "TQ1_0", "TQ1_0 - 1.69 bpw ternary"],
  [37, "TQ2_0", "TQ2_0 - 2.06 bpw ternary"],
  [38, "MXFP4_MOE", "MXFP4 MoE"],
  [39, "NVFP4", "NVFP4"],
  [40, "Q1_0", "Q1_0"],
  [41, "Q2_0", "Q2_0"],
];

/** Our own file types (native/patches add them to llama.cpp), like our types in ggmlTypes.ts. */
const extensionRows: readonly (readonly [number, string, string])[] = [
  [96, "PTQTP1", "PTQTP1 - 3.5 bpw dual trit-plane"],
  [97, "PTQTP2", "PTQTP2 - 4.25 bpw dual trit-plane"],
];

/** File types only the Lowbit extended runtime can make and load. */
export const extensionLlamaFileTypeIds: ReadonlySet<number> = new Set(
  extensionRows.map(([id]) => id),
);

export const llamaFileTypes: readonly LlamaFileTypeInfo[] = [...rows, ...extensionRows].map(
  ([id, name, description]) => Object.freeze({ id, name, description }),
);

/** llama.cpp ORs this bit in when it guessed the file type instead of reading it. */
export const llamaFileTypeGuessed = 1024;

const byId = new Map(llamaFileTypes.map((t) => [t.id, t]));
const byName = new Map(llamaFileTypes.map((t) => [t.name.toUpperCase(), t]));

export function llamaFileTypeById(id: number): LlamaFileTypeInfo | undefined {
  return byId.get(id & ~llamaFileTypeGuessed);
}

export function llamaFileTypeByName(name: string): LlamaFileTypeInfo | undefined {
  return byName.get(name.toUpperCase());
}
