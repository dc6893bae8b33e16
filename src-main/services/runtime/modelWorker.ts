import { randomInt } from "node:crypto";
import os from "node:os";
import {
  getLlama,
  LlamaChat,
  LlamaLogLevel,
  readGgufFileInfo,
  resolveChatWrapper,
  type ChatHistoryItem,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaModel,
} from "node-llama-cpp";
import { AppError } from "../../contract/index.js";
import type { Handlers, JobContext } from "../../rpc/server.js";
import { createCompressWorkerHandlers } from "../compress/worker/compressWorkerHandlers.js";
import { PlainTextChatWrapper } from "./plainTextChatWrapper.js";
import { chooseThreads } from "./threads.js";
import type { ChatTurn, WorkerContract } from "./workerContract.js";

interface Loaded {
  model: LlamaModel;
  context: LlamaContext;
  chat: LlamaChat;
  wrapper: ChatWrapper;
}

/**
 * What runs inside the model worker process: node-llama-cpp, one model and one context at a time.
 * Everything here may be killed by an abort in llama.cpp; the parent reports that, not us.
 */
export function createModelWorkerHandlers(): Handlers<WorkerContract> {
  let llamaPromise: Promise<Llama> | null = null;
  let loaded: Loaded | null = null;
  let busy: Promise<unknown> = Promise.resolve();

  const llama = (): Promise<Llama> =>
    (llamaPromise ??= getLlama({
      build: "never",
      gpu: gpuOption(process.env.LOWBIT_GPU),
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        if (level === LlamaLogLevel.error || level === LlamaLogLevel.warn) {
          process.stderr.write(`[llama.cpp] ${message.trimEnd()}\n`);
        }
      },
    }));

  // One operation at a time: a load and a generation must never overlap on the same context.
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const next = busy.then(work, work);
    busy = next.catch(() => undefined);
    return next;
  };

  const unload = async (): Promise<boolean> => {
    if (loaded === null) {
      return false;
    }
    const current = loaded;
    loaded = null;
    current.chat.dispose();
    await current.context.dispose();
    await current.model.dispose();
    return true;
  };

  return {
    // Quantization and calibration (native addon); the app runs them in a worker of their own.
    ...createCompressWorkerHandlers(),
    "worker.info": async () => {
      const instance = await llama();
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
        const instance = await llama();
        const model = await instance.loadModel({
          modelPath: params.modelPath,
          loadSignal: ctx.signal,
          onLoadProgress: (fraction) =>
            ctx.progress({ fraction: Math.min(1, Math.max(0, fraction)) }),
        });
        try {
          const threads = chooseThreads(
            params.threads,
            os.availableParallelism(),
            instance.buildType,
          );
          const context = await model.createContext({ contextSize: params.contextSize, threads });
          const wrapper = params.plainText
            ? new PlainTextChatWrapper()
            : resolveChatWrapper(model, { fallbackToOtherWrappersOnJinjaError: true });
          const chat = new LlamaChat({
            contextSequence: context.getSequence(),
            chatWrapper: wrapper,
          });
          loaded = { model, context, chat, wrapper };
          const trainContext = fileInfo.architectureMetadata?.context_length;
          return {
            contextSize: context.contextSize,
            threads,
            trainContextSize: typeof trainContext === "number" ? trainContext : null,
            chatWrapper: wrapper.wrapperName,
          };
        } catch (error) {
          await model.dispose();
          throw error;
        }
      }),

    "worker.unload": () => exclusive(async () => ({ unloaded: await unload() })),

    "worker.generate": (params, ctx) =>
      exclusive(async () => {
        if (loaded === null) {
          throw new AppError("no_model_loaded", "No model is loaded.", "Load a model first.");
        }
        return generate(loaded, params, ctx);
      }),
  };
}

async function generate(
  loaded: Loaded,
  params: { turns: ChatTurn[]; maxTokens: number; temperature: number; seed: number | null },
  ctx: JobContext<{ text: string }>,
) {
  const history: ChatHistoryItem[] = params.turns.map((turn) =>
    turn.role === "user"
      ? { type: "user", text: turn.content }
      : { type: "model", response: [turn.content] },
  );
  history.push({ type: "model", response: [] });
  const sequence = loaded.chat.sequence;
  const inputBefore = sequence.tokenMeter.usedInputTokens;
  const outputBefore = sequence.tokenMeter.usedOutputTokens;
  const started = performance.now();
  let firstTokenAt: number | null = null;
  const stop = AbortSignal.any([ctx.signal, ctx.disconnected]);
  const result = await loaded.chat.generateResponse(history, {
    maxTokens: params.maxTokens,
    temperature: params.temperature,
    // node-llama-cpp's own default seed is the current second, so two regenerations within a
    // second would repeat each other: draw a fresh one when the user asked for random.
    seed: params.seed ?? randomInt(0, 2 ** 31 - 1),
    signal: stop,
    stopOnAbortSignal: true,
    onToken: () => {
      firstTokenAt ??= performance.now();
    },
    onTextChunk: (text) => ctx.progress({ text }),
  });
  const finished = performance.now();
  const promptTokens = sequence.tokenMeter.usedInputTokens - inputBefore;
  const tokens = sequence.tokenMeter.usedOutputTokens - outputBefore;
  const promptSeconds = ((firstTokenAt ?? finished) - started) / 1000;
  const decodeSeconds = (finished - (firstTokenAt ?? finished)) / 1000;
  const stopReason = result.metadata.stopReason;
  return {
    text: result.response,
    promptTokens,
    tokens,
    promptTps: promptSeconds > 0 ? promptTokens / promptSeconds : 0,
    // The first token's time belongs to the prompt; the rest are pure decoding.
    decodeTps: decodeSeconds > 0 && tokens > 1 ? (tokens - 1) / decodeSeconds : 0,
    stopReason:
      stopReason === "abort"
        ? ("stopped" as const)
        : stopReason === "maxTokens"
          ? ("maxTokens" as const)
          : ("eos" as const),
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
