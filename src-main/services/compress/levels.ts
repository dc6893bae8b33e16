import { ptqtpLevels } from "./ptqtpLevels.js";

/**
 * The compression levels Lowbit offers: every llama.cpp file type (`enum llama_ftype`) that
 * makes sense for a new file today. Legacy Q4_1/Q5_0/Q5_1 are left out (the K-quants replace
 * them); our own formats join this list when they land. Sizes and bits per weight for a given
 * model come from llama.cpp's own dry run, never from the nominal numbers here.
 */
export type LevelFamily = "float" | "k-quant" | "i-quant" | "legacy" | "ternary";

export interface LevelDefinition {
  /** llama.cpp's name, as `llama-quantize` takes it. */
  readonly name: string;
  /** `enum llama_ftype` (include/llama.h). */
  readonly ftype: number;
  readonly family: LevelFamily;
  /** The ggml type most tensors get (llama.cpp's llama_ftype_get_default_type). */
  readonly baseType: string;
  /** Bits per weight of the level's main tensor type. */
  readonly nominalBpw: number;
  /** What to expect, in plain words. */
  readonly note: string;
  /** Needs the Lowbit extended runtime (our own ggml types, native/ggml-ext). */
  readonly extended?: boolean;
}

const CALIBRATE = "Calibrating on sample text (an importance matrix) limits the damage.";

const rows: readonly LevelDefinition[] = [
  {
    name: "F16",
    baseType: "F16",
    ftype: 1,
    family: "float",
    nominalBpw: 16,
    note: "No compression: half-precision floats, the reference other levels are measured against.",
  },
  {
    name: "BF16",
    baseType: "BF16",
    ftype: 32,
    family: "float",
    nominalBpw: 16,
    note: "No compression: bfloat16, the format most models are trained in.",
  },
  {
    name: "Q8_0",
    baseType: "Q8_0",
    ftype: 7,
    family: "legacy",
    nominalBpw: 8.5,
    note: "Practically lossless at half the size of F16.",
  },
  {
    name: "Q6_K",
    baseType: "Q6_K",
    ftype: 18,
    family: "k-quant",
    nominalBpw: 6.5625,
    note: "Near-lossless; a safe choice when it fits.",
  },
  {
    name: "Q5_K_M",
    baseType: "Q5_K",
    ftype: 17,
    family: "k-quant",
    nominalBpw: 5.5,
    note: "Very small loss; more bits kept where it matters most.",
  },
  {
    name: "Q5_K_S",
    baseType: "Q5_K",
    ftype: 16,
    family: "k-quant",
    nominalBpw: 5.5,
    note: "Very small loss, slightly smaller than Q5_K_M.",
  },
  {
    name: "Q4_K_M",
    baseType: "Q4_K",
    ftype: 15,
    family: "k-quant",
    nominalBpw: 4.5,
    note: "The usual sweet spot: small loss at about a third of F16.",
  },
  {
    name: "Q4_K_S",
    baseType: "Q4_K",
    ftype: 14,
    family: "k-quant",
    nominalBpw: 4.5,
    note: "Small loss; a little smaller than Q4_K_M.",
  },
  {
    name: "IQ4_XS",
    baseType: "IQ4_XS",
    ftype: 30,
    family: "i-quant",
    nominalBpw: 4.25,
    note: "About Q4_K_S quality in less space; can be slower on some CPUs.",
  },
  {
    name: "IQ4_NL",
    baseType: "IQ4_NL",
    ftype: 25,
    family: "i-quant",
    nominalBpw: 4.5,
    note: "4-bit with a non-linear grid; good quality, plain block layout.",
  },
  {
    name: "Q4_0",
    baseType: "Q4_0",
    ftype: 2,
    family: "legacy",
    nominalBpw: 4.5,
    note: "Classic 4-bit: fast everywhere, but worse than Q4_K_S at the same size.",
  },
  {
    name: "Q3_K_L",
    baseType: "Q3_K",
    ftype: 13,
    family: "k-quant",
    nominalBpw: 3.4375,
    note: `Noticeable loss. ${CALIBRATE}`,
  },
  {
    name: "Q3_K_M",
    baseType: "Q3_K",
    ftype: 12,
    family: "k-quant",
    nominalBpw: 3.4375,
    note: `Noticeable loss. ${CALIBRATE}`,
  },
  {
    name: "Q3_K_S",
    baseType: "Q3_K",
    ftype: 11,
    family: "k-quant",
    nominalBpw: 3.4375,
    note: `Clear loss. ${CALIBRATE}`,
  },
  {
    name: "IQ3_M",
    baseType: "IQ3_S",
    ftype: 27,
    family: "i-quant",
    nominalBpw: 3.4375,
    note: `Good for 3 bits when calibrated. ${CALIBRATE}`,
  },
  {
    name: "IQ3_S",
    baseType: "IQ3_S",
    ftype: 26,
    family: "i-quant",
    nominalBpw: 3.4375,
    note: `Good for 3 bits when calibrated. ${CALIBRATE}`,
  },
  {
    name: "IQ3_XS",
    baseType: "IQ3_S",
    ftype: 22,
    family: "i-quant",
    nominalBpw: 3.3,
    note: `Clear loss. ${CALIBRATE}`,
  },
  {
    name: "IQ3_XXS",
    baseType: "IQ3_XXS",
    ftype: 23,
    family: "i-quant",
    nominalBpw: 3.0625,
    note: "Clear loss; needs calibration (an importance matrix).",
  },
  {
    name: "Q2_K",
    baseType: "Q2_K",
    ftype: 10,
    family: "k-quant",
    nominalBpw: 2.625,
    note: "Below 3 bits quality drops sharply; calibrate, and expect mistakes.",
  },
  {
    name: "Q2_K_S",
    baseType: "Q2_K",
    ftype: 21,
    family: "k-quant",
    nominalBpw: 2.625,
    note: "Below 3 bits quality drops sharply; needs calibration.",
  },
  {
    name: "IQ2_M",
    baseType: "IQ2_S",
    ftype: 29,
    family: "i-quant",
    nominalBpw: 2.5625,
    note: "Below 3 bits quality drops sharply; needs calibration. Large models cope best.",
  },
  {
    name: "IQ2_S",
    baseType: "IQ2_XS",
    ftype: 28,
    family: "i-quant",
    nominalBpw: 2.5625,
    note: "Below 3 bits quality drops sharply; needs calibration.",
  },
  {
    name: "IQ2_XS",
    baseType: "IQ2_XS",
    ftype: 20,
    family: "i-quant",
    nominalBpw: 2.3125,
    note: "Heavy loss; needs calibration. Only very large models stay coherent.",
  },
  {
    name: "IQ2_XXS",
    baseType: "IQ2_XXS",
    ftype: 19,
    family: "i-quant",
    nominalBpw: 2.0625,
    note: "Heavy loss; needs calibration. Only very large models stay coherent.",
  },
  {
    name: "IQ1_M",
    baseType: "IQ1_M",
    ftype: 31,
    family: "i-quant",
    nominalBpw: 1.75,
    note: "Extreme: most models break; needs calibration.",
  },
  {
    name: "IQ1_S",
    baseType: "IQ1_S",
    ftype: 24,
    family: "i-quant",
    nominalBpw: 1.5625,
    note: "Extreme: most models break; needs calibration.",
  },
  {
    name: "TQ2_0",
    baseType: "TQ2_0",
    ftype: 37,
    family: "ternary",
    nominalBpw: 2.0625,
    note: "Ternary weights: for models trained ternary (BitNet-style); ordinary models break.",
  },
  {
    name: "TQ1_0",
    baseType: "TQ1_0",
    ftype: 36,
    family: "ternary",
    nominalBpw: 1.6875,
    note: "Ternary weights, tightly packed: for models trained ternary; ordinary models break.",
  },
  ...ptqtpLevels,
];

export const compressionLevels: readonly LevelDefinition[] = rows.map((row) => Object.freeze(row));

const byName = new Map(compressionLevels.map((level) => [level.name.toUpperCase(), level]));

export function levelByName(name: string): LevelDefinition | undefined {
  return byName.get(name.trim().toUpperCase());
}

/** Calibration is offered below 4 bits per weight, where it pays off. */
export function offersImatrix(level: LevelDefinition): boolean {
  // Not for PTQTP: weighting its per-group fit measured no gain (docs/benchmarks.md); it can
  // still be asked for.
  return level.nominalBpw < 4 && level.extended !== true;
}
