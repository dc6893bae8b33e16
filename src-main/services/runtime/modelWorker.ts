import os from "node:os";
import {
  getLlama,
  LlamaLogLevel,
  readGgufFileInfo,
  resolveChatWrapper,
  type Llama,
} from "node-llama-cpp";
import { AppError } from "../../contract/index.js";
import type { Handlers } from "../../rpc/server.js";
import { createCompressWorkerHandlers } from "../compress/worker/compressWorkerHandlers.js";
import { createEvaluateWorkerHandlers } from "../evaluate/worker/evaluateWorkerHandlers.js";
import { kvGeometryFromMetadata } from "./kvGeometry.js";
import { LiveContext } from "./liveContext.js";
import { LlamaLog } from "./llamaLog.js";
import { MemoryMonitor } from "./memoryMonitor.js";
import { PlainTextChatWrapper } from "./plainTextChatWrapper.js";
import { chooseThreads } from "./threads.js";
import type { WorkerContract } from "./workerContract.js";
import { architectureMetadata, capabilitiesFor, estimateMemory } from "./workerEstimate.js";
import { generate } from "./workerGenerate.js";
import { reconfigure } from "./workerReconfigure.js";
import type { LoadedModel, WorkerState } from "./workerState.js";

/**
 * What runs inside the model worker process: node-llama-cpp, one model and one context at a time.
 * Everything here may be killed by an abort in llama.cpp; the parent reports that, not us.
 */
export function createModelWorkerHandlers(): Handlers<WorkerContract> {
  let llamaPromise: Promise<Llama> | null = null;
  let busy: Promise<unknown> = Promise.resolve();
  const log = new LlamaLog();
  const state: WorkerState = {
    log,
    loaded: null,
    llama: () =>
      (llamaPromise ??= getLlama({
        build: "never",
        gpu: gpuOption(process.env.LOWBIT_GPU),
        // Info level: llama.cpp prints how it resolved "auto" flash attention there.
        logLevel: LlamaLogLevel.info,
        logger: log.logger,
      })),
  };
  const memory = new MemoryMonitor(state);

  // One operation at a time: a load and a generation must never overlap on the same context.
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const next = busy.then(work, work);
    busy = next.catch(() => undefined);
    return next;
  };

  const requireLoaded = (): LoadedModel => {
    if (state.loaded === null) {
      throw new AppError("no_model_loaded", "No model is loaded.", "Load a model first.");
    }
    return state.loaded;
  };

  const unload = async (): Promise<boolean> => {
    const current = state.loaded;
    if (current === null) {
      return false;
    }
    state.loaded = null;
    await current.live.dispose();
    await current.model.dispose();
    await memory.refresh();
    return true;
  };

  return {
    "worker.info": async () => {
      const instance = await state.llama();
      return {
        buildType: instance.buildType,
        gpu: instance.gpu,
        cpuMathCores: instance.cpuMathCores,
        llamaCppRelease: instance.llamaCppRelease.release,
      };
    },

    "worker.load": (params, ctx) =>
      exclusive(async () => {
        await unload();
        // node-llama-cpp's own reader runs first: a file it cannot parse never reaches llama.cpp.
        const fileInfo = await readGgufFileInfo(params.modelPath, { readTensorInfo: false });
        const instance = await state.llama();
        const model = await instance.loadModel({
          modelPath: params.modelPath,
          loadSignal: ctx.signal,
          ignoreMemorySafetyChecks: params.force,
          onLoadProgress: (fraction) =>
            ctx.progress({ fraction: Math.min(1, Math.max(0, fraction)) }),
        });
        try {
          const threads = chooseThreads(
            params.threads,
            os.availableParallelism(),
            instance.buildType,
          );
          const geometry = kvGeometryFromMetadata(architectureMetadata(fileInfo));
          const live = await LiveContext.create(
            model,
            geometry,
            { contextSize: params.contextSize, threads, kv: params.kv, force: params.force },
            log,
          );
          const wrapper = params.plainText
            ? new PlainTextChatWrapper()
            : resolveChatWrapper(model, { fallbackToOtherWrappersOnJinjaError: true });
          const weights = await model.fileInsights
            .estimateModelResourceRequirementsV2({ gpuLayers: model.gpuLayers })
            .catch(() => ({ cpuRam: model.size, gpuVram: 0 }));
          state.loaded = {
            model,
            modelPath: params.modelPath,
            geometry,
            wrapper,
            live,
            threads,
            vocabSize: fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 32_000,
            flashAttentionSupported: model.fileInsights.flashAttentionSupported,
            weights: { ramBytes: weights.cpuRam, vramBytes: weights.gpuVram },
          };
          await memory.refresh();
          const trainContext = architectureMetadata(fileInfo)?.context_length;
          return {
            contextSize: live.contextSize,
            threads,
            trainContextSize: typeof trainContext === "number" ? trainContext : null,
            chatWrapper: wrapper.wrapperName,
            kv: live.active,
          };
        } catch (error) {
          await model.dispose();
          throw error;
        }
      }),

    "worker.unload": () => exclusive(async () => ({ unloaded: await unload() })),

    "worker.reconfigure": (params, ctx) =>
      exclusive(() => reconfigure(state, requireLoaded(), memory, params, ctx)),

    "worker.generate": (params, ctx) =>
      exclusive(() => generate(requireLoaded(), memory, params, ctx)),

    "worker.estimate": async (params) =>
      estimateMemory(await state.llama(), params.modelPath, params),

    "worker.capabilities": async ({ modelPath }) =>
      capabilitiesFor(await state.llama(), modelPath ?? state.loaded?.modelPath ?? null, null),

    "worker.memory": () => memory.snapshots,

    "worker.inspect": () => {
      const { live, model } = requireLoaded();
      const head = live.sequence.contextTokens.slice(0, 64);
      return {
        cachedTokens: live.sequence.nextTokenIndex,
        evictedTokens: live.evicted.length,
        sinks: live.sinks,
        window: live.window,
        head,
        headText: model.detokenize(head, true),
      };
    },

    // Quantization and calibration through the native addon (services/compress/worker).
    ...createCompressWorkerHandlers(),
    // Evaluation (PPL, KL divergence, speed) through the native addon (services/evaluate/worker).
    ...createEvaluateWorkerHandlers(),
  };
}

function gpuOption(value: string | undefined): "auto" | false | "cuda" | "vulkan" | "metal" {
  switch (value) {
    case "false":
    case "off":
    case "cpu":
      return false;
    case "cuda":
    case "vulkan":
    case "metal":
      return value;
    default:
      return "auto";
  }
}
