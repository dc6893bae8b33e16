import type { Database } from "better-sqlite3";
import { AppError, type Evaluation, type Model, type Run } from "../../contract/index.js";
import { requireFile } from "../compress/modelFile.js";
import type { RunsService } from "../compress/runsService.js";
import { readGgufFile } from "../gguf/ggufReader.js";
import { summarizeModel } from "../gguf/modelSummary.js";
import type { LibraryService } from "../library/libraryService.js";
import { findMeasurement } from "../storage/queries/evaluations.js";
import { DEFAULT_CHUNKS, evalContextSize } from "./defaults.js";
import { resolveEvalText, type EvalText } from "./evalText.js";

export interface EvaluateRequest {
  modelId: string;
  /** Defaults to the model the run that made `modelId` started from. */
  baseModelId?: string | undefined;
  textPath?: string | undefined;
  contextSize?: number | undefined;
  chunks?: number | undefined;
  /** 0: choose for this machine. */
  threads: number;
  /** Measure again even when the same measurement exists. */
  force: boolean;
}

/** Everything an evaluation needs, checked before any process starts. */
export interface PreparedEvaluation {
  model: Model;
  base: Model;
  /** The run that made `model`, if Lowbit made it. */
  run: Run | undefined;
  text: EvalText;
  contextSize: number;
  chunksRequested: number | null;
  chunksWanted: number;
  vocabSize: number;
}

export async function prepareEvaluation(
  deps: { library: LibraryService; runs: RunsService },
  request: EvaluateRequest,
): Promise<PreparedEvaluation> {
  const model = requireFile(deps.library.get(request.modelId));
  const run = deps.runs.producerOf(model.id);
  const base = requireFile(baseModel(deps, model, run, request.baseModelId));
  const [modelVocab, baseVocab] = await Promise.all([vocabSizeOf(model), vocabSizeOf(base)]);
  if (modelVocab !== baseVocab) {
    throw new AppError(
      "invalid_params",
      `“${model.name}” and “${base.name}” have different vocabularies (${modelVocab} and ${baseVocab} tokens); KL divergence compares two models with the same tokenizer.`,
      "Measure a model against the model it was made from.",
    );
  }
  const text = await resolveEvalText(request.textPath);
  return {
    model,
    base,
    run,
    text,
    contextSize: evalContextSize(request.contextSize, model, base),
    chunksRequested: request.chunks ?? null,
    chunksWanted: request.chunks ?? DEFAULT_CHUNKS,
    vocabSize: modelVocab,
  };
}

/** A finished measurement with the same model, base, text and settings, if there is one. */
export function existingMeasurement(
  db: Database,
  prepared: PreparedEvaluation,
): Evaluation | undefined {
  return findMeasurement(db, {
    modelSha256: prepared.model.sha256,
    baseSha256: prepared.base.sha256,
    textSha256: prepared.text.sha256,
    contextSize: prepared.contextSize,
    chunksRequested: prepared.chunksRequested,
    kldMethod: "full-vocabulary",
  });
}

function baseModel(
  deps: { library: LibraryService },
  model: Model,
  run: Run | undefined,
  baseModelId: string | undefined,
): Model {
  if (baseModelId !== undefined) {
    return deps.library.get(baseModelId);
  }
  if (run === undefined) {
    throw new AppError(
      "invalid_params",
      `Lowbit did not make “${model.name}”, so it does not know which model to measure it against.`,
      "Choose the base model it was made from (lowbit eval <model> --base <base>).",
    );
  }
  if (run.sourceModelId === null) {
    throw new AppError(
      "not_found",
      `“${model.name}” was made from “${run.sourceName}”, which is no longer in the library.`,
      "Import that model again (the same file), or choose another base.",
    );
  }
  return deps.library.get(run.sourceModelId);
}

async function vocabSizeOf(model: Model): Promise<number> {
  const vocab = summarizeModel(await readGgufFile(model.path)).vocabSize;
  if (vocab === null) {
    throw new AppError(
      "bad_model_file",
      `“${model.name}” does not say how many tokens its vocabulary has.`,
      "Only GGUF models with a tokenizer can be evaluated.",
    );
  }
  return vocab;
}
