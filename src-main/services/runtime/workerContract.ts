import { z } from "zod";
import { job, noParams, rpc } from "../../contract/endpoint.js";
import { compressWorkerEndpoints } from "../compress/worker/compressWorkerContract.js";

/**
 * The internal contract between the app and its model worker process. node-llama-cpp runs only
 * in that process: a malformed GGUF can abort it from inside llama.cpp, and the app must survive.
 */
export const chatTurnSchema = z.object({
  role: z.enum(["user", "assistant"]),
  content: z.string(),
});
export type ChatTurn = z.infer<typeof chatTurnSchema>;

export const workerInfoSchema = z.object({
  buildType: z.enum(["localBuild", "prebuilt"]),
  gpu: z.union([z.literal(false), z.string()]),
  cpuMathCores: z.number(),
  llamaCppRelease: z.string(),
});
export type WorkerInfo = z.infer<typeof workerInfoSchema>;

export const loadedModelSchema = z.object({
  contextSize: z.number().int(),
  threads: z.number().int(),
  trainContextSize: z.number().int().nullable(),
  chatWrapper: z.string(),
});
export type LoadedModel = z.infer<typeof loadedModelSchema>;

export const generationStatsSchema = z.object({
  promptTokens: z.number().int(),
  tokens: z.number().int(),
  promptTps: z.number(),
  decodeTps: z.number(),
  stopReason: z.enum(["eos", "maxTokens", "stopped"]),
});

export const workerContract = {
  "worker.info": rpc(noParams, workerInfoSchema),
  "worker.load": job(
    z.object({
      modelPath: z.string(),
      contextSize: z.number().int().min(64),
      /** 0: choose for this machine. */
      threads: z.number().int().min(0),
      /** Base models have no chat format: lay the conversation out as plain text. */
      plainText: z.boolean(),
    }),
    z.object({ fraction: z.number().min(0).max(1) }),
    loadedModelSchema,
  ),
  "worker.unload": rpc(noParams, z.object({ unloaded: z.boolean() })),
  "worker.generate": job(
    z.object({
      turns: z.array(chatTurnSchema).min(1),
      maxTokens: z.number().int().min(1),
      temperature: z.number().min(0),
      seed: z.number().int().nullable(),
    }),
    z.object({ text: z.string() }),
    generationStatsSchema.extend({ text: z.string() }),
  ),
  // Quantization and calibration through the native addon (services/compress/worker).
  ...compressWorkerEndpoints,
};
export type WorkerContract = typeof workerContract;
