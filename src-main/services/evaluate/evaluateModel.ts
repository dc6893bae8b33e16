import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import os from "node:os";
import type { Database } from "better-sqlite3";
import {
  AppError,
  toErrorData,
  type EvaluateProgress,
  type Evaluation,
  type EvaluationMetrics,
  type ParamsIn,
} from "../../contract/index.js";
import { machineSummary } from "../compress/machine.js";
import { asDiskFullError, ensureFreeSpace } from "../library/diskSpace.js";
import type { WorkerContract } from "../runtime/workerContract.js";
import type { WorkerSpawner } from "../runtime/workerProcess.js";
import { insertEvaluation, updateEvaluation } from "../storage/queries/evaluations.js";
import { DECODE_TOKENS, EVAL_BATCH } from "./defaults.js";
import { EvalWorker } from "./evalWorker.js";
import { logProbFileBytes, type CachedBase, type LogProbCache } from "./logProbCache.js";
import type { PreparedEvaluation } from "./prepareEvaluation.js";
import type { WorkerEvaluateResult } from "./worker/evaluateWorkerContract.js";
import { variantLabel } from "../compress/gptqMethod.js";

export interface EvaluateDeps {
  db: Database;
  cache: LogProbCache;
  spawn: WorkerSpawner;
  /** Pushes the measurements list to watchers (the Runs view). */
  publish(): void;
  now(): string;
}

export interface EvaluateContext {
  jobId: string | null;
  threads: number;
  signal?: AbortSignal | undefined;
  progress?: ((packet: EvaluateProgress) => void) | undefined;
  /** Resolves when this evaluation may start (one at a time); the row waits "queued". */
  waitTurn?: (() => Promise<void>) | undefined;
}

/**
 * One measurement, start to finish: the base model's pass (its log-probs, cached on disk within
 * the cap), then the model's pass against it in a fresh worker process (so its peak memory is its
 * own), then the row. Anything short of that records why and keeps no partial file.
 */
export async function evaluateModel(
  deps: EvaluateDeps,
  prepared: PreparedEvaluation,
  ctx: EvaluateContext,
): Promise<Evaluation> {
  const { model, base, run, text } = prepared;
  const threads = ctx.threads > 0 ? ctx.threads : os.availableParallelism();
  let evaluation: Evaluation = {
    id: randomUUID(),
    jobId: ctx.jobId,
    runId: run?.id ?? null,
    model: {
      id: model.id,
      name: model.name,
      sha256: model.sha256,
      level: run === undefined ? model.fileType : variantLabel(run),
      sizeBytes: model.sizeBytes,
      bpw: run?.bpw ?? model.bpw,
    },
    base: { id: base.id, name: base.name, sha256: base.sha256 },
    text: { name: text.name, sha256: text.sha256 },
    contextSize: prepared.contextSize,
    chunksRequested: prepared.chunksRequested,
    chunks: null,
    chunksLimited: false,
    kldMethod: "full-vocabulary",
    threads,
    machine: machineSummary(),
    metrics: null,
    status: "queued",
    error: null,
    createdAt: deps.now(),
    finishedAt: null,
  };
  insertEvaluation(deps.db, evaluation);
  deps.publish();
  const progress = (packet: EvaluateProgress): void => ctx.progress?.(packet);
  const started = performance.now();
  try {
    progress({ phase: "queued", fraction: 0 });
    await ctx.waitTurn?.();
    ctx.signal?.throwIfAborted();
    evaluation = save(deps, { ...evaluation, status: "running" });
    const allowed = deps.cache.allowedChunks(
      prepared.contextSize,
      prepared.vocabSize,
      prepared.chunksWanted,
    );
    let cached = deps.cache.find(base.sha256, text.sha256, prepared.contextSize, allowed);
    // The cap may have been lowered since other files were written: back under it first.
    deps.cache.makeRoom(0, cached?.path ?? null);
    const baseReused = cached !== null;
    const share = baseReused ? 0 : 0.45;
    if (cached === null) {
      cached = await basePass(deps, prepared, allowed, ctx.threads, ctx.signal, (chunk, of) =>
        progress({ phase: "base", fraction: (share * chunk) / of, chunk, chunks: of }),
      );
    }
    await deps.cache.touch(cached);
    const chunks = Math.min(allowed, cached.chunks);
    progress({ phase: "model", fraction: share });
    const result = await pass(
      deps.spawn,
      {
        modelPath: model.path,
        textPath: text.path,
        baseLogProbsPath: cached.path,
        saveLogProbsPath: null,
        contextSize: prepared.contextSize,
        maxChunks: chunks,
        batchSize: EVAL_BATCH,
        threads: ctx.threads,
        decodeTokens: DECODE_TOKENS,
      },
      ctx.signal,
      (chunk, of) =>
        progress({
          phase: "model",
          fraction: share + ((0.98 - share) * chunk) / of,
          chunk,
          chunks: of,
        }),
    );
    progress({ phase: "saving", fraction: 0.99 });
    const seconds = (performance.now() - started) / 1000;
    evaluation = save(deps, {
      ...evaluation,
      chunks: result.chunks,
      chunksLimited: allowed < prepared.chunksWanted && cached.textChunks > allowed,
      metrics: metricsOf(result, { seconds, baseReused }),
      status: "done",
      finishedAt: deps.now(),
    });
    progress({ phase: "saving", fraction: 1 });
    return evaluation;
  } catch (error) {
    const data = toErrorData(asDiskFullError(error, deps.cache.folder));
    const cancelled = ctx.signal?.aborted === true || data.code === "cancelled";
    save(deps, {
      ...evaluation,
      status: cancelled ? "cancelled" : "failed",
      error: cancelled ? { code: "cancelled", message: "Cancelled." } : data,
      finishedAt: deps.now(),
    });
    throw cancelled ? new AppError("cancelled", "Cancelled.") : AppError.fromData(data);
  }
}

function save(deps: EvaluateDeps, evaluation: Evaluation): Evaluation {
  updateEvaluation(deps.db, evaluation);
  deps.publish();
  return evaluation;
}

/** The base model over the text, its log-probs written to the cache (within the cap). */
async function basePass(
  deps: EvaluateDeps,
  prepared: PreparedEvaluation,
  chunks: number,
  threads: number,
  signal: AbortSignal | undefined,
  onChunk: (chunk: number, chunks: number) => void,
): Promise<CachedBase> {
  const { base, text, contextSize, vocabSize } = prepared;
  const file = deps.cache.fileFor(base.sha256, text.sha256, contextSize);
  const bytes = logProbFileBytes(contextSize, vocabSize, chunks);
  // A shorter file for the same base and text is replaced; older files go first to make room.
  deps.cache.makeRoom(bytes, null);
  await ensureFreeSpace(deps.cache.folder, bytes, "the base model's log-probabilities");
  const partial = `${file}.partial`;
  try {
    const result = await pass(
      deps.spawn,
      {
        modelPath: base.path,
        textPath: text.path,
        baseLogProbsPath: null,
        saveLogProbsPath: partial,
        contextSize,
        maxChunks: chunks,
        batchSize: EVAL_BATCH,
        threads,
        decodeTokens: 0,
      },
      signal,
      onChunk,
    );
    return await deps.cache.commit(partial, {
      path: file,
      baseSha256: base.sha256,
      textSha256: text.sha256,
      contextSize,
      chunks: result.chunks,
      textChunks: Math.floor(result.textTokens / contextSize),
      vocabSize: result.vocabSize,
      bytes: logProbFileBytes(contextSize, result.vocabSize, result.chunks),
      ppl: result.ppl,
      pplError: result.pplError,
      createdAt: deps.now(),
    });
  } finally {
    rmSync(partial, { force: true });
  }
}

type PassParams = ParamsIn<WorkerContract, "worker.evaluate">;

/** One pass in a worker process of its own, which ends with the pass. */
async function pass(
  spawn: WorkerSpawner,
  params: PassParams,
  signal: AbortSignal | undefined,
  onChunk: (chunk: number, chunks: number) => void,
): Promise<WorkerEvaluateResult> {
  const worker = new EvalWorker(spawn);
  try {
    return await worker.run(signal, (forwarded) =>
      worker.client.job("worker.evaluate", params, {
        signal: forwarded,
        onProgress: (p) => onChunk(p.chunk, p.chunks),
      }),
    );
  } finally {
    worker.kill();
  }
}

function metricsOf(
  result: WorkerEvaluateResult,
  extra: { seconds: number; baseReused: boolean },
): EvaluationMetrics {
  const c = result.comparison;
  if (c === null) {
    throw new AppError("internal", "The evaluation returned no comparison with the base model.");
  }
  const { rms, rmsError, ...deltaP } = c.deltaP;
  return {
    ppl: result.ppl,
    pplError: result.pplError,
    pplBase: c.pplBase,
    pplBaseError: c.pplBaseError,
    deltaPpl: c.deltaPpl,
    deltaPplError: c.deltaPplError,
    pplRatio: c.pplRatio,
    lnPplRatio: c.lnPplRatio,
    lnPplRatioError: c.lnPplRatioError,
    pplCorrelation: c.pplCorrelation,
    kld: c.kld.mean,
    kldError: c.kld.error,
    kldP99: c.kld.p99,
    kldDistribution: c.kld,
    deltaP: { ...deltaP, rms, rmsError },
    top1: c.sameTop,
    top1Error: c.sameTopError,
    promptTps: result.promptSeconds > 0 ? result.promptTokens / result.promptSeconds : 0,
    decodeTps: result.decodeTokens > 0 ? result.decodeTokens / result.decodeSeconds : null,
    peakRssBytes: result.peakRssBytes,
    tokens: result.scoredTokens,
    seconds: extra.seconds,
    baseReused: extra.baseReused,
    vocabSize: result.vocabSize,
  };
}
