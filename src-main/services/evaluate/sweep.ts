import { existsSync } from "node:fs";
import {
  AppError,
  toErrorData,
  type Evaluation,
  type ImatrixChoice,
  type Model,
  type QuantizeMethod,
  type Run,
  type SweepItem,
  type SweepProgress,
} from "../../contract/index.js";
import type { CompressService } from "../compress/compressService.js";
import { compressionLevels, levelByName, offersImatrix } from "../compress/levels.js";
import { requireFile } from "../compress/modelFile.js";
import type { LibraryService } from "../library/libraryService.js";
import { evalContextSize } from "./defaults.js";
import { resolveEvalText } from "./evalText.js";
import type { EvaluateRequest } from "./prepareEvaluation.js";

export interface SweepRequest {
  modelId: string;
  levels: string[];
  textPath?: string | undefined;
  contextSize?: number | undefined;
  chunks?: number | undefined;
  threads: number;
  imatrix: ImatrixChoice;
}

export interface SweepDeps {
  library: LibraryService;
  compress: CompressService;
  /** Measurements against `baseSha256` (newest first). */
  measurementsAgainst(baseSha256: string): Evaluation[];
  measure(
    request: EvaluateRequest,
    ctx: {
      signal?: AbortSignal | undefined;
      progress?: (fraction: number, detail: string) => void;
    },
  ): Promise<{ evaluation: Evaluation; reused: boolean }>;
}

/** Share of a level's slice of the progress bar that quantizing takes (measuring the rest). */
const QUANTIZE_SHARE = 0.35;

/**
 * "Compare levels": each level of one model quantized and measured against it, in turn. A level
 * measured before with the same text and settings is skipped; a finished run of the level is
 * reused rather than quantized again. A level that fails says why and the sweep goes on.
 */
export async function runSweep(
  deps: SweepDeps,
  request: SweepRequest,
  ctx: { signal?: AbortSignal | undefined; progress?: (packet: SweepProgress) => void },
): Promise<{ items: SweepItem[] }> {
  const source = requireFile(deps.library.get(request.modelId));
  const levels = requireLevels(request.levels);
  const text = await resolveEvalText(request.textPath);
  const contextSize = evalContextSize(request.contextSize, source);
  const items: SweepItem[] = [];
  const count = levels.length;
  for (const [index, { level, name, method }] of levels.entries()) {
    ctx.signal?.throwIfAborted();
    const report = (within: number, step: SweepProgress["step"], detail: string): void =>
      ctx.progress?.({ fraction: (index + within) / count, index, count, level, step, detail });

    const measured = deps
      .measurementsAgainst(source.sha256)
      .find(
        (e) =>
          e.model.level === level &&
          e.text.sha256 === text.sha256 &&
          e.contextSize === contextSize &&
          e.chunksRequested === (request.chunks ?? null),
      );
    if (measured !== undefined) {
      const run = measured.runId === null ? null : safeRun(deps, measured.runId);
      items.push(
        item(level, { run, evaluation: measured, reusedRun: true, reusedEvaluation: true }),
      );
      report(1, "done", `${level} was measured before with the same text and settings`);
      continue;
    }

    let run: Run | null = null;
    let reusedRun = false;
    try {
      report(0, "quantize", `${level}: looking for an earlier run`);
      const earlier = reusableRun(deps, source, name, method, request.imatrix);
      if (earlier !== null) {
        run = earlier;
        reusedRun = true;
      } else {
        const made = await deps.compress.quantize(
          {
            modelId: source.id,
            level: name,
            imatrix: request.imatrix,
            threads: request.threads,
            allowRequantize: false,
            method,
          },
          {
            signal: ctx.signal,
            progress: (p) =>
              report(p.fraction * QUANTIZE_SHARE, "quantize", `${level}: ${p.phase}`),
          },
        );
        run = made.run;
      }
      const { evaluation, reused } = await deps.measure(
        {
          modelId: run.outputModelId!,
          baseModelId: source.id,
          textPath: request.textPath,
          contextSize,
          chunks: request.chunks,
          threads: request.threads,
          force: false,
        },
        {
          signal: ctx.signal,
          progress: (fraction, detail) =>
            report(
              QUANTIZE_SHARE + (1 - QUANTIZE_SHARE) * fraction,
              "evaluate",
              `${level}: ${detail}`,
            ),
        },
      );
      items.push(item(level, { run, evaluation, reusedRun, reusedEvaluation: reused }));
      report(1, "done", `${level} measured`);
    } catch (error) {
      if (ctx.signal?.aborted === true || toErrorData(error).code === "cancelled") {
        throw new AppError("cancelled", "Cancelled.");
      }
      items.push(item(level, { run, reusedRun, error: toErrorData(error) }));
      report(1, "done", `${level} failed: ${toErrorData(error).message}`);
    }
  }
  return { items };
}

function item(level: string, parts: Partial<SweepItem>): SweepItem {
  return {
    level,
    run: null,
    evaluation: null,
    reusedRun: false,
    reusedEvaluation: false,
    error: null,
    ...parts,
  };
}

/**
 * Canonical level names, each once, in the order given; an unknown name stops the sweep. "NAME"
 * is llama.cpp's rounding, "NAME+gptq" the calibrated variant (as evaluations label them).
 */
function requireLevels(
  names: string[],
): Array<{ level: string; name: string; method: QuantizeMethod }> {
  const levels: Array<{ level: string; name: string; method: QuantizeMethod }> = [];
  for (const raw of names) {
    const [base = "", suffix] = raw.trim().split("+");
    const level = levelByName(base.trim());
    if (level === undefined || (suffix !== undefined && suffix.trim().toLowerCase() !== "gptq")) {
      throw new AppError(
        "invalid_params",
        `There is no compression level “${raw}”.`,
        `Pick from: ${compressionLevels.map((l) => l.name).join(", ")} (add +gptq for the calibrated variant, e.g. PTQTP1+gptq).`,
      );
    }
    const method: QuantizeMethod = suffix === undefined ? "rtn" : "gptq";
    const label = method === "gptq" ? `${level.name}+gptq` : level.name;
    if (!levels.some((l) => l.level === label)) {
      levels.push({ level: label, name: level.name, method });
    }
  }
  return levels;
}

/** A finished run of `level` from this source whose model is still there, calibrated alike. */
function reusableRun(
  deps: SweepDeps,
  source: Model,
  levelName: string,
  method: QuantizeMethod,
  choice: ImatrixChoice,
): Run | null {
  const level = levelByName(levelName)!;
  const calibrated = choice === "on" || (choice === "auto" && offersImatrix(level));
  for (const run of deps.compress.runs.list(1000, source.id)) {
    if (
      run.status !== "done" ||
      run.level !== level.name ||
      run.sourceSha256 !== source.sha256 ||
      run.outputModelId === null ||
      run.imatrix !== calibrated ||
      (run.method ?? "rtn") !== method
    ) {
      continue;
    }
    const model = deps.library.list().find((m) => m.id === run.outputModelId);
    if (model !== undefined && existsSync(model.path)) {
      return run;
    }
  }
  return null;
}

function safeRun(deps: SweepDeps, id: string): Run | null {
  try {
    return deps.compress.runs.get(id);
  } catch {
    return null;
  }
}
