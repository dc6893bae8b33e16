import { AppError, type GptqInfo, type QuantizeMethod, type Run } from "../../contract/index.js";
import { ggmlTypeById, ggmlTypeByName } from "../gguf/ggmlTypes.js";
import type { CalibrationText } from "./calibration.js";
import type { LevelDefinition } from "./levels.js";

/** λ as a share of the mean diagonal of each input's Gram matrix (GPTQ's 1 %). */
export const GPTQ_DAMPING = 0.01;

/** Chunks of calibration text for calibrated rounding unless the caller asks for another number. */
export const DEFAULT_GPTQ_CHUNKS = 64;

/** Calibrated rounding applies to a level when this build has a grid for its main type. */
export function offersGptq(level: LevelDefinition, gridTypes: ReadonlySet<number>): boolean {
  const id = ggmlTypeByName(level.baseType)?.id;
  return id !== undefined && gridTypes.has(id);
}

/**
 * PTQTP calibrates by default whenever a calibration text exists (compensation turns it from
 * worse than Q3_K_S into better, docs/benchmarks.md); every other level stays plain unless asked.
 */
export function gptqByDefault(level: LevelDefinition, offered: boolean, hasText: boolean): boolean {
  return offered && hasText && level.family === "ternary";
}

/** The method a request gets; a gptq request for a level without a grid is refused. */
export function decideMethod(
  level: LevelDefinition,
  requested: QuantizeMethod | undefined,
  gridTypes: ReadonlySet<number>,
  hasDefaultText: boolean,
): QuantizeMethod {
  const offered = offersGptq(level, gridTypes);
  if (requested === "gptq" && !offered) {
    const names = [...gridTypes].map((id) => ggmlTypeById(id)?.name ?? `type ${id}`);
    throw new AppError(
      "invalid_params",
      `Calibrated rounding (gptq) is not available for ${level.name}: this build has no grid for ${level.baseType}.`,
      names.length === 0
        ? "Use --method rtn (llama.cpp's rounding)."
        : `Use --method rtn, or a level whose main type is one of: ${names.join(", ")}.`,
    );
  }
  return requested ?? (gptqByDefault(level, offered, hasDefaultText) ? "gptq" : "rtn");
}

/** What the calibrated file carries about how it was made (llama.cpp writes these keys). */
export function gptqMetadata(info: GptqInfo): Array<{ key: string; value: string | number }> {
  return [
    { key: "lowbit.method", value: "gptq" },
    { key: "lowbit.gptq.damping", value: info.damping },
    { key: "lowbit.gptq.text_sha256", value: info.textSha256 },
    { key: "lowbit.gptq.dataset", value: info.dataset.slice(0, 120) },
    { key: "lowbit.gptq.chunk_size", value: info.chunkSize },
    { key: "lowbit.gptq.chunks", value: info.chunks },
  ];
}

export function gptqInfoFor(text: CalibrationText, chunkSize: number, chunks: number): GptqInfo {
  return {
    damping: GPTQ_DAMPING,
    textPath: text.path,
    textSha256: text.sha256,
    dataset: text.dataset,
    chunkSize,
    chunks,
    tokens: null,
    tensors: null,
  };
}

/** A run's level with its method, as evaluations and the runs table name the variant. */
export function variantLabel(run: Pick<Run, "level" | "method">): string {
  return run.method === "gptq" ? `${run.level}+gptq` : run.level;
}
