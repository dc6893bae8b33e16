import os from "node:os";
import { AppError, type ErrorCode } from "../../../contract/index.js";
import type { Handlers, JobContext } from "../../../rpc/server.js";
import type { NativeError, NativeJob } from "../../native/AddonTypes.js";
import { addonLinkInfo, allowAddonInThisProcess, loadAddon } from "../../native/loadAddon.js";
import { chooseThreads } from "../../runtime/threads.js";
import type { compressWorkerEndpoints, LevelPlan } from "./compressWorkerContract.js";

type CompressWorkerHandlers = Handlers<typeof compressWorkerEndpoints>;

/** Runs inside the model worker process: the native addon is loaded here and only here. */
export function createCompressWorkerHandlers(): CompressWorkerHandlers {
  allowAddonInThisProcess();
  return {
    "worker.quantize": async (params, ctx) => {
      const addon = loadAddon();
      const handle = addon.quantize(
        {
          inputPath: params.inputPath,
          outputPath: params.outputPath,
          ftype: params.ftype,
          threads: params.threads,
          allowRequantize: params.allowRequantize,
          ...(params.imatrixPath === null ? {} : { imatrixPath: params.imatrixPath }),
          metadata: params.metadata,
        },
        (p) =>
          ctx.progress({ tensorIndex: p.tensorIndex, tensorCount: p.tensorCount, name: p.name }),
      );
      const result = await settle(handle, ctx);
      return {
        fileBytes: result.fileBytes,
        seconds: result.seconds,
        elements: result.elements,
        fallbackTensors: result.fallbackTensors,
        imatrixEntries: result.imatrixEntries,
        tensors: result.tensors.map((t) => ({
          name: t.name,
          fromType: t.fromType,
          toType: t.toType,
          bytes: t.bytes,
        })),
      };
    },

    "worker.planLevels": async ({ inputPath, plans }) => {
      const addon = loadAddon();
      const results: LevelPlan[] = [];
      // One at a time: llama.cpp's logger, which carries the plan, is process-wide.
      for (const plan of plans) {
        try {
          const r = await addon.quantize({
            inputPath,
            ftype: plan.ftype,
            dryRun: true,
            assumeImatrix: plan.assumeImatrix,
            allowRequantize: true,
            metadata: plan.metadata,
          }).promise;
          const tensorTypes: Record<string, number> = {};
          for (const t of r.tensors) {
            tensorTypes[t.toType] = (tensorTypes[t.toType] ?? 0) + 1;
          }
          results.push({
            ...plan,
            fileBytes: r.fileBytes,
            tensorBytes: r.tensors.reduce((sum, t) => sum + t.bytes, 0),
            elements: r.elements,
            requiresImatrix: r.requiresImatrix,
            fallbackTensors: r.fallbackTensors,
            tensorTypes,
            error: null,
          });
        } catch (error) {
          results.push({
            ...plan,
            fileBytes: null,
            tensorBytes: 0,
            elements: 0,
            requiresImatrix: false,
            fallbackTensors: 0,
            tensorTypes: {},
            error: asAppError(error).toData(),
          });
        }
      }
      return results;
    },

    "worker.gptq": async (params, ctx) => {
      const addon = loadAddon();
      const threads = chooseThreads(
        params.threads,
        os.availableParallelism(),
        addonLinkInfo()?.buildType ?? "prebuilt",
      );
      const handle = addon.gptq({ ...params, threads }, (p) =>
        ctx.progress({
          phase: p.phase,
          done: p.done,
          total: p.total,
          pass: p.pass,
          passes: p.passes,
        }),
      );
      const r = await settle(handle, ctx);
      return {
        chunks: r.chunks,
        tokens: r.tokens,
        passes: r.passes,
        compensated: r.compensated,
        skipped: r.skipped,
        calibrationSeconds: r.calibrationSeconds,
        compensationSeconds: r.compensationSeconds,
      };
    },

    "worker.gptqTypes": () => Promise.resolve(loadAddon().gptqGridTypes()),

    "worker.imatrix": async (params, ctx) => {
      const addon = loadAddon();
      const threads = chooseThreads(
        params.threads,
        os.availableParallelism(),
        addonLinkInfo()?.buildType ?? "prebuilt",
      );
      const handle = addon.computeImatrix(
        {
          modelPath: params.modelPath,
          textPath: params.textPath,
          outputPath: params.outputPath,
          datasetName: params.datasetName,
          chunkSize: params.chunkSize,
          maxChunks: params.maxChunks,
          threads,
        },
        (p) => ctx.progress({ chunk: p.chunk, chunks: p.chunks }),
      );
      return settle(handle, ctx);
    },
  };
}

/** Waits for a native job, cancelling it when the caller cancels or goes away. */
async function settle<R>(handle: NativeJob<R>, ctx: JobContext<unknown>): Promise<R> {
  const cancel = (): void => handle.cancel();
  const signal = AbortSignal.any([ctx.signal, ctx.disconnected]);
  if (signal.aborted) {
    cancel();
  }
  signal.addEventListener("abort", cancel, { once: true });
  try {
    return await handle.promise;
  } catch (error) {
    throw asAppError(error);
  } finally {
    signal.removeEventListener("abort", cancel);
  }
}

const codes: Record<string, ErrorCode> = {
  cancelled: "cancelled",
  busy: "busy",
  imatrix_required: "invalid_params",
  requantize_disabled: "invalid_params",
  bad_imatrix: "invalid_params",
  text_too_short: "invalid_params",
  not_found: "not_found",
  io_error: "io_error",
};

function asAppError(error: unknown): AppError {
  if (error instanceof AppError) {
    return error;
  }
  const native = error as Partial<NativeError>;
  const message = native.message ?? String(error);
  return new AppError(codes[native.code ?? ""] ?? "internal", message);
}
