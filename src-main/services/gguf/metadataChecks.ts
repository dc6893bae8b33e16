import type { GgufMetadata } from "./ggufMetadata.js";
import type { ProblemList } from "./modelProblems.js";

/** llama.cpp's LLAMA_MAX_LAYERS: per-layer arrays and block counts above it abort. */
export const maxLayers = 512;

const unloadable = "llama.cpp cannot load the model without it";

/**
 * Reads a u32 the way llama.cpp does (it accepts no other integer type) and records a problem
 * when it is missing, of another type, or out of range.
 */
export function checkU32(
  meta: GgufMetadata,
  problems: ProblemList,
  key: string,
  what: string,
  options: { required: boolean; min?: number; max?: number },
): number | undefined {
  const entry = meta.get(key);
  if (entry === undefined) {
    if (options.required) {
      problems.error(
        "missing_key",
        `The model file does not record ${what} (${key}); ${unloadable}.`,
        key,
      );
    }
    return undefined;
  }
  if (entry.type !== "u32") {
    problems.error(
      "wrong_key_type",
      `${key} (${what}) is stored as ${entry.type}, but llama.cpp only reads it as u32.`,
      key,
    );
    return undefined;
  }
  return inRange(problems, key, what, entry.value, options) ? entry.value : undefined;
}

/**
 * A value llama.cpp reads with get_key_or_arr: one u32 for all layers, or an array of
 * u32/i32/bool with one entry per layer. Returns one value per layer.
 */
export function checkPerLayer(
  meta: GgufMetadata,
  problems: ProblemList,
  key: string,
  what: string,
  layers: number,
  options: { required: boolean; min?: number },
): number[] | undefined {
  const entry = meta.get(key);
  if (entry?.type !== "array") {
    const value = checkU32(meta, problems, key, what, options);
    return value === undefined ? undefined : new Array<number>(layers).fill(value);
  }
  if (entry.itemType !== "u32" && entry.itemType !== "i32" && entry.itemType !== "bool") {
    problems.error(
      "wrong_key_type",
      `${key} (${what}) is a list of ${entry.itemType}, but llama.cpp reads only u32 or i32 lists.`,
      key,
    );
    return undefined;
  }
  if (entry.value.length !== layers) {
    problems.error(
      "bad_value",
      `${key} lists ${what} for ${entry.value.length} layers, but the model has ${layers}.`,
      key,
    );
    return undefined;
  }
  const values = entry.value.map(Number);
  return values.every((v) => inRange(problems, key, what, v, options)) ? values : undefined;
}

function inRange(
  problems: ProblemList,
  key: string,
  what: string,
  value: number,
  { min, max }: { min?: number; max?: number },
): boolean {
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    const bounds = max === undefined ? `at least ${min}` : `between ${min ?? 0} and ${max}`;
    problems.error("bad_value", `${key} (${what}) is ${value}; it must be ${bounds}.`, key);
    return false;
  }
  return true;
}
