import { randomUUID } from "node:crypto";
import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Database } from "better-sqlite3";
import {
  AppError,
  toErrorData,
  type GptqInfo,
  type ImatrixChoice,
  type Model,
  type QuantizeMethod,
  type QuantizeProgress,
  type Run,
} from "../../contract/index.js";
import { hashFile } from "../library/fileHashing.js";
import { asDiskFullError, ensureFreeSpace } from "../library/diskSpace.js";
import type { LibraryService } from "../library/libraryService.js";
import type { WorkerSpawner } from "../runtime/workerProcess.js";
import { findModelBySha256, insertModel } from "../storage/queries/models.js";
import {
  calibrationChunkSize,
  DEFAULT_IMATRIX_CHUNKS,
  defaultCalibrationText,
  resolveCalibrationText,
  type Calibrator,
  type Imatrix,
} from "./calibration.js";
import { CompressWorker } from "./compressWorker.js";
import { decideMethod, DEFAULT_GPTQ_CHUNKS, gptqInfoFor, gptqMetadata } from "./gptqMethod.js";
import { imatrixByDefault, isQuantized } from "./describeLevels.js";
import { compressionLevels, levelByName, type LevelDefinition } from "./levels.js";
import type { LevelPlanner } from "./levelPlanner.js";
import { machineSummary } from "./machine.js";
import { imatrixMetadata, type ImatrixIdentity } from "./imatrixMetadata.js";
import { freeOutputPath, validateOutputPath } from "./outputPath.js";
import type { RunsService } from "./runsService.js";
import { requireFile } from "./modelFile.js";

export interface QuantizeRequest {
  modelId: string;
  level: string;
  imatrix: ImatrixChoice;
  imatrixTextPath?: string | undefined;
  imatrixChunks?: number | undefined;
  threads: number;
  outPath?: string | undefined;
  name?: string | undefined;
  allowRequantize: boolean;
  /** Defaults to the level's default (gptq for PTQTP when a calibration text exists). */
  method?: QuantizeMethod | undefined;
  calibrationTextPath?: string | undefined;
  calibrationChunks?: number | undefined;
}

export interface QuantizeContext {
  /** The id the run gets (known before it starts, so it can be cancelled by id). */
  runId?: string;
  jobId: string | null;
  signal?: AbortSignal;
  progress?: (packet: QuantizeProgress) => void;
  setPartialPath?: (path: string | null) => void;
  /** Resolves when this job may start (one quantization at a time); the run waits "queued". */
  waitTurn?: () => Promise<void>;
}

export interface QuantizeDeps {
  db: Database;
  library: LibraryService;
  runs: RunsService;
  planner: LevelPlanner;
  calibrator: Calibrator;
  spawn: WorkerSpawner;
  modelsFolder: string;
}

/**
 * One quantization, start to finish: checks, an importance matrix when calibrating, llama.cpp's
 * quantizer in a worker process of its own, then — in one database transaction — the new model
 * and the finished run are recorded and the `.partial` output is renamed into place. Anything
 * short of that leaves no file and no model behind, and the run says why.
 */
export async function quantizeModel(
  deps: QuantizeDeps,
  request: QuantizeRequest,
  ctx: QuantizeContext,
): Promise<{ run: Run; model: Model; reused: boolean }> {
  const source = requireFile(deps.library.get(request.modelId));
  const level = requireLevel(request.level);
  if (isQuantized(source) && !request.allowRequantize) {
    throw new AppError(
      "invalid_params",
      `“${source.name}” is already quantized (${source.fileType ?? "quantized weights"}); quantizing it again adds the new error on top of the old.`,
      "Start from its F16/BF16 original if you have it, or confirm requantizing (--allow-requantize).",
    );
  }
  const [plan] = await deps.planner.plan(source, [{ ftype: level.ftype, assumeImatrix: false }]);
  if (plan === undefined || plan.fileBytes === null) {
    throw new AppError(
      "unsupported",
      `llama.cpp cannot make ${level.name} from “${source.name}”: ${plan?.error?.message ?? "no plan"}`,
    );
  }
  const useImatrix = decideImatrix(level, plan.requiresImatrix, request.imatrix);
  const text = useImatrix ? await resolveCalibrationText(request.imatrixTextPath) : null;
  const defaultText = await defaultCalibrationText();
  const method = decideMethod(
    level,
    request.method,
    await deps.planner.gptqTypes(),
    defaultText !== null || request.calibrationTextPath !== undefined,
  );
  const gptqText =
    method === "gptq" ? await resolveCalibrationText(request.calibrationTextPath) : null;
  let gptq: GptqInfo | null =
    gptqText === null
      ? null
      : gptqInfoFor(
          gptqText,
          calibrationChunkSize(source),
          request.calibrationChunks ?? DEFAULT_GPTQ_CHUNKS,
        );
  const threads = request.threads > 0 ? request.threads : os.availableParallelism();

  const linked = request.outPath !== undefined;
  const chosen =
    request.outPath === undefined
      ? null
      : validateOutputPath(request.outPath, { overwrite: false });
  // A library file gets its name when the job starts: a job queued behind another for the same
  // level must not take the name that one is about to use.
  const pickTarget = (): string =>
    chosen ?? freeOutputPath(deps.modelsFolder, `${stemOf(source)}-${level.name}.gguf`);
  let target = pickTarget();
  await ensureFreeSpace(path.dirname(target), plan.fileBytes, `the ${level.name} file`);

  const chunks = request.imatrixChunks ?? DEFAULT_IMATRIX_CHUNKS;
  let run: Run = deps.runs.insert({
    id: ctx.runId ?? randomUUID(),
    jobId: ctx.jobId,
    sourceModelId: source.id,
    sourceName: source.name,
    sourceSha256: source.sha256,
    level: level.name,
    options: {
      imatrix: request.imatrix,
      imatrixTextPath: text?.path ?? null,
      imatrixChunks: useImatrix ? chunks : null,
      allowRequantize: request.allowRequantize,
    },
    imatrix: useImatrix,
    imatrixTextSha256: text?.sha256 ?? null,
    imatrixDataset: text?.dataset ?? null,
    method,
    gptq,
    outputModelId: null,
    outputPath: null,
    sizeBytes: null,
    bpw: null,
    durationMs: null,
    threads,
    machine: machineSummary(),
    status: "queued",
    error: null,
    createdAt: deps.runs.timestamp(),
    finishedAt: null,
  });
  const progress = (packet: QuantizeProgress): void => ctx.progress?.(packet);
  let partial = `${target}.partial`;
  let worker: CompressWorker | null = null;
  const started = performance.now();
  try {
    progress({ phase: "queued", fraction: 0 });
    await ctx.waitTurn?.();
    ctx.signal?.throwIfAborted();
    target = pickTarget();
    partial = `${target}.partial`;
    run = deps.runs.save({ ...run, status: "running" });
    worker = new CompressWorker(deps.spawn);
    const share = shares(useImatrix, gptq !== null);

    let imatrix: Imatrix | null = null;
    let identity: ImatrixIdentity | null = null;
    if (text !== null) {
      progress({ phase: "calibrating", fraction: 0 });
      identity = {
        modelSha256: source.sha256,
        textSha256: text.sha256,
        dataset: text.dataset,
        chunkSize: calibrationChunkSize(source),
        maxChunks: chunks,
      };
      imatrix = await deps.calibrator.ensure(
        source,
        text,
        { chunkSize: identity.chunkSize, maxChunks: chunks },
        worker,
        ctx.signal,
        (chunk, of) =>
          progress({
            phase: "calibrating",
            fraction: (share.calibrate * chunk) / of,
            chunk,
            chunks: of,
          }),
      );
    }

    ctx.setPartialPath?.(partial);
    progress({ phase: "quantizing", fraction: share.calibrate });
    const active = worker;
    const produced = await active.run(ctx.signal, (signal) =>
      active.client.job(
        "worker.quantize",
        {
          inputPath: source.path,
          outputPath: partial,
          ftype: level.ftype,
          threads,
          allowRequantize: request.allowRequantize,
          imatrixPath: imatrix?.path ?? null,
          metadata: [
            ...(imatrix === null || identity === null
              ? []
              : imatrixMetadata(identity, { entries: imatrix.entries, chunks: imatrix.chunks })),
            ...(gptq === null ? [] : gptqMetadata(gptq)),
          ],
        },
        {
          signal,
          onProgress: (p) =>
            progress({
              phase: "quantizing",
              fraction: share.calibrate + (share.quantize * (p.tensorIndex - 1)) / p.tensorCount,
              tensorIndex: p.tensorIndex,
              tensorCount: p.tensorCount,
              tensorName: p.name,
            }),
        },
      ),
    );
    if (gptq !== null) {
      gptq = await compensateInPlace(
        active,
        source.path,
        partial,
        gptq,
        request.threads,
        ctx.signal,
        (p) => progress(gptqProgress(p, share)),
      );
      run = deps.runs.save({ ...run, gptq });
    }
    worker.kill();
    worker = null;

    const verifyFrom = share.calibrate + share.quantize + share.gptq;
    progress({ phase: "verifying", fraction: verifyFrom });
    const size = statSync(partial).size;
    const sha256 = await hashFile(partial, ctx.signal, (bytes) =>
      progress({
        phase: "verifying",
        fraction: verifyFrom + ((1 - verifyFrom) * 0.9 * bytes) / size,
      }),
    );
    const inspected = await deps.library.inspect(partial);
    ctx.signal?.throwIfAborted();

    progress({ phase: "registering", fraction: 0.99 });
    const durationMs = Math.round(performance.now() - started);
    const tensorBytes = produced.tensors.reduce((sum, t) => sum + t.bytes, 0);
    const finished = (model: Model): Run => ({
      ...run,
      outputModelId: model.id,
      outputPath: model.path,
      sizeBytes: size,
      bpw: produced.elements > 0 ? (tensorBytes * 8) / produced.elements : inspected.bpw,
      durationMs,
      status: "done",
      finishedAt: deps.runs.timestamp(),
    });
    // One transaction: the model, the finished run, and the rename that makes the file final.
    const outcome = deps.db.transaction(() => {
      const existing = findModelBySha256(deps.db, sha256);
      if (existing !== undefined) {
        // Byte for byte a model the library has (same level done before): keep that one.
        rmSync(partial, { force: true });
        return {
          model: existing,
          run: deps.runs.save(finished(existing), { publish: false }),
          reused: true,
        };
      }
      const model: Model = {
        ...inspected,
        id: sha256.slice(0, 12),
        name: request.name ?? `${source.name} ${level.name}`,
        path: target,
        linked,
        source: "quantized",
        sha256,
        addedAt: deps.runs.timestamp(),
      };
      if (existsSync(target)) {
        // Someone put a file there while we worked: never replace it.
        throw new AppError(
          "already_exists",
          `${target} appeared while the model was being compressed; it was left alone.`,
          "Run the compression again, with another output path.",
        );
      }
      insertModel(deps.db, model);
      const saved = deps.runs.save(finished(model), { publish: false });
      renameSync(partial, target);
      return { model, run: saved, reused: false };
    })();
    ctx.setPartialPath?.(null);
    deps.runs.publish();
    deps.library.changed.set(deps.library.list());
    progress({ phase: "registering", fraction: 1 });
    return outcome;
  } catch (error) {
    worker?.kill();
    rmSync(partial, { force: true });
    const data = toErrorData(asDiskFullError(error, path.dirname(target)));
    const cancelled = ctx.signal?.aborted === true || data.code === "cancelled";
    deps.runs.save({
      ...run,
      status: cancelled ? "cancelled" : "failed",
      error: cancelled ? { code: "cancelled", message: "Cancelled." } : data,
      durationMs: Math.round(performance.now() - started),
      finishedAt: deps.runs.timestamp(),
    });
    throw cancelled ? new AppError("cancelled", "Cancelled.") : AppError.fromData(data);
  }
}

/** How much of the job's progress bar each stage takes. */
function shares(
  imatrix: boolean,
  gptq: boolean,
): { calibrate: number; quantize: number; gptq: number } {
  if (gptq) {
    return imatrix
      ? { calibrate: 0.25, quantize: 0.2, gptq: 0.45 }
      : { calibrate: 0, quantize: 0.25, gptq: 0.63 };
  }
  return imatrix
    ? { calibrate: 0.45, quantize: 0.45, gptq: 0 }
    : { calibrate: 0, quantize: 0.88, gptq: 0 };
}

interface GptqStep {
  phase: "calibrating" | "compensating";
  done: number;
  total: number;
  pass: number;
  passes: number;
}

function gptqProgress(
  p: GptqStep,
  share: { calibrate: number; quantize: number; gptq: number },
): QuantizeProgress {
  // Each pass calibrates (a third of its time on small models) and then compensates its layers.
  const from = share.calibrate + share.quantize;
  const perPass = share.gptq / Math.max(1, p.passes);
  const within =
    p.phase === "calibrating" ? (0.35 * p.done) / p.total : 0.35 + (0.65 * p.done) / p.total;
  const fraction = from + perPass * (p.pass - 1 + within);
  return p.phase === "calibrating"
    ? { phase: "calibrating", fraction, chunk: p.done, chunks: p.total }
    : { phase: "compensating", fraction, tensorIndex: p.done, tensorCount: p.total };
}

/**
 * Calibrated rounding of the file llama.cpp just wrote, in the same worker: the source model
 * runs over the text and every layer weight with a grid is rounded again from the source
 * weights with compensation, in place. Returns the run's gptq record with what was used.
 */
async function compensateInPlace(
  worker: CompressWorker,
  sourcePath: string,
  partial: string,
  gptq: GptqInfo,
  threads: number,
  signal: AbortSignal | undefined,
  onProgress: (p: GptqStep) => void,
): Promise<GptqInfo> {
  const result = await worker.run(signal, (forwarded) =>
    worker.client.job(
      "worker.gptq",
      {
        modelPath: sourcePath,
        targetPath: partial,
        textPath: gptq.textPath,
        chunkSize: gptq.chunkSize,
        maxChunks: gptq.chunks,
        damping: gptq.damping,
        threads,
      },
      { signal: forwarded, onProgress },
    ),
  );
  return { ...gptq, tokens: result.tokens, tensors: result.compensated };
}

function requireLevel(name: string): LevelDefinition {
  const level = levelByName(name);
  if (level === undefined) {
    throw new AppError(
      "invalid_params",
      `There is no compression level “${name}”.`,
      `Pick one of: ${compressionLevels.map((l) => l.name).join(", ")}.`,
    );
  }
  return level;
}

function decideImatrix(level: LevelDefinition, needed: boolean, choice: ImatrixChoice): boolean {
  if (choice === "off" && needed) {
    throw new AppError(
      "invalid_params",
      `${level.name} needs an importance matrix: llama.cpp refuses to make it without calibration.`,
      "Turn calibration on (it uses the starter text unless you choose one), or pick another level.",
    );
  }
  return choice === "on" || (choice === "auto" && imatrixByDefault(level, needed));
}

function stemOf(model: Model): string {
  const base = path.basename(model.path).replace(/\.gguf$/i, "");
  // Drop a trailing level name, so that a requantized model does not read "…-Q8_0-Q4_K_M".
  const known = compressionLevels.map((l) => l.name).join("|");
  return base.replace(new RegExp(`[-_.](${known})$`, "i"), "") || "model";
}
