import os from "node:os";
import { AppError, type ErrorCode } from "../../../contract/index.js";
import type { Handlers, JobContext } from "../../../rpc/server.js";
import type { NativeError, NativeJob } from "../../native/AddonTypes.js";
import { addonLinkInfo, allowAddonInThisProcess, loadAddon } from "../../native/loadAddon.js";
import { chooseThreads } from "../../runtime/threads.js";
import type { evaluateWorkerEndpoints } from "./evaluateWorkerContract.js";

/** Runs inside the model worker process: the native addon is loaded here and only here. */
export function createEvaluateWorkerHandlers(): Handlers<typeof evaluateWorkerEndpoints> {
  allowAddonInThisProcess();
  return {
    "worker.evaluate": async (params, ctx) => {
      const addon = loadAddon();
      const threads = chooseThreads(
        params.threads,
        os.availableParallelism(),
        addonLinkInfo()?.buildType ?? "prebuilt",
      );
      const handle = addon.evaluate(
        {
          modelPath: params.modelPath,
          ...(params.textPath === null ? {} : { textPath: params.textPath }),
          ...(params.baseLogProbsPath === null
            ? {}
            : { baseLogProbsPath: params.baseLogProbsPath }),
          ...(params.saveLogProbsPath === null
            ? {}
            : { saveLogProbsPath: params.saveLogProbsPath }),
          contextSize: params.contextSize,
          maxChunks: params.maxChunks,
          batchSize: params.batchSize,
          threads,
          decodeTokens: params.decodeTokens,
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
  text_too_short: "invalid_params",
  bad_logprobs: "invalid_params",
  vocab_mismatch: "invalid_params",
  unsupported: "unsupported",
  not_found: "not_found",
  io_error: "io_error",
};

function asAppError(error: unknown): AppError {
  if (error instanceof AppError) {
    return error;
  }
  const native = error as Partial<NativeError>;
  return new AppError(codes[native.code ?? ""] ?? "internal", native.message ?? String(error));
}
