import { z } from "zod";
import { job, noParams, rpc, signal } from "../../contract/endpoint.js";
import {
  kvActiveSchema,
  kvApplyMethodSchema,
  kvApplyProgressSchema,
  kvCapabilitiesSchema,
  kvSettingsSchema,
  memorySnapshotSchema,
  qualityProbeSchema,
  stopReasonSchema,
} from "../../contract/index.js";
import { compressWorkerEndpoints } from "../compress/worker/compressWorkerContract.js";
import { evaluateWorkerEndpoints } from "../evaluate/worker/evaluateWorkerContract.js";

/**
 * The internal contract between the app and its model worker process. node-llama-cpp runs only
 * in that process: a malformed GGUF can abort it from inside llama.cpp, and the app must survive.
 */
export const chatTurnSchema = z.object({
  role: z.enum(["user", "assistant"]),
  content: z.string(),
});
export type ChatTurn = z.infer<typeof chatTurnSchema>;

export const conversationInputSchema = z.object({
  system: z.string().nullable(),
  turns: z.array(chatTurnSchema),
});
export type ConversationInput = z.infer<typeof conversationInputSchema>;

export const workerInfoSchema = z.object({
  buildType: z.enum(["localBuild", "prebuilt"]),
  gpu: z.union([z.literal(false), z.string()]),
  cpuMathCores: z.number(),
  llamaCppRelease: z.string(),
});
export type WorkerInfo = z.infer<typeof workerInfoSchema>;

export const contextConfigSchema = z.object({
  contextSize: z.number().int().min(64),
  kv: kvSettingsSchema,
});
export type ContextConfig = z.infer<typeof contextConfigSchema>;

export const loadedModelSchema = z.object({
  contextSize: z.number().int(),
  threads: z.number().int(),
  trainContextSize: z.number().int().nullable(),
  chatWrapper: z.string(),
  kv: kvActiveSchema,
});
export type LoadedModel = z.infer<typeof loadedModelSchema>;

export const samplingSchema = z.object({
  maxTokens: z.number().int().min(1),
  temperature: z.number().min(0),
  topP: z.number().min(0).max(1),
  topK: z.number().int().min(0),
  minP: z.number().min(0).max(1),
  repeatPenalty: z.number().min(1),
  seed: z.number().int().nullable(),
});
export type Sampling = z.infer<typeof samplingSchema>;

export const generateParamsSchema = z.object({
  input: z.discriminatedUnion("kind", [
    conversationInputSchema.extend({ kind: z.literal("chat") }),
    z.object({ kind: z.literal("text"), prompt: z.string() }),
  ]),
  sampling: samplingSchema,
  /** Extra stop strings (the OpenAI API's `stop`). */
  stop: z.array(z.string()).default([]),
});
export type GenerateParams = z.input<typeof generateParamsSchema>;

export const generationStatsSchema = z.object({
  promptTokens: z.number().int(),
  cachedTokens: z.number().int(),
  tokens: z.number().int(),
  promptTps: z.number(),
  decodeTps: z.number(),
  stopReason: stopReasonSchema,
  droppedMessages: z.number().int(),
  evictedTokens: z.number().int(),
  kv: z.string(),
});
export type GenerationStats = z.infer<typeof generationStatsSchema>;

export const reconfigureResultSchema = z.object({
  before: kvActiveSchema,
  after: kvActiveSchema,
  tokens: z.number().int(),
  stateBytesBefore: z.number().nullable(),
  stateBytesAfter: z.number(),
  ingestSeconds: z.number(),
  method: kvApplyMethodSchema.nullable(),
  methodReason: z.string().nullable(),
  probe: qualityProbeSchema.nullable(),
});
export type ReconfigureResult = z.infer<typeof reconfigureResultSchema>;

export const workerEstimateSchema = z.object({
  weightsRamBytes: z.number(),
  weightsVramBytes: z.number(),
  contextRamBytes: z.number(),
  contextVramBytes: z.number(),
  kvBytes: z.number(),
  cells: z.number().int(),
  method: z.enum(["dry-run", "formula"]),
});
export type WorkerEstimate = z.infer<typeof workerEstimateSchema>;

export const workerContract = {
  "worker.info": rpc(noParams, workerInfoSchema),
  "worker.load": job(
    contextConfigSchema.extend({
      modelPath: z.string(),
      /** 0: choose for this machine. */
      threads: z.number().int().min(0),
      /** Base models have no chat format: lay the conversation out as plain text. */
      plainText: z.boolean(),
      /** Skip node-llama-cpp's own memory check (the user chose "load anyway"). */
      force: z.boolean(),
    }),
    z.object({ fraction: z.number().min(0).max(1) }),
    loadedModelSchema,
  ),
  "worker.unload": rpc(noParams, z.object({ unloaded: z.boolean() })),
  /** Rebuilds the context with new KV settings and re-ingests the conversation, if one is given. */
  "worker.reconfigure": job(
    contextConfigSchema.extend({ conversation: conversationInputSchema.nullable() }),
    kvApplyProgressSchema,
    reconfigureResultSchema,
  ),
  "worker.generate": job(
    generateParamsSchema,
    z.object({ text: z.string() }),
    generationStatsSchema.extend({ text: z.string() }),
  ),
  "worker.estimate": rpc(
    contextConfigSchema.extend({ modelPath: z.string() }),
    workerEstimateSchema,
  ),
  "worker.capabilities": rpc(z.object({ modelPath: z.string().nullable() }), kvCapabilitiesSchema),
  "worker.memory": signal(noParams, memorySnapshotSchema.nullable()),
  /** What the cache holds now, for tests and diagnostics: its start, length and evictions. */
  "worker.inspect": rpc(
    noParams,
    z.object({
      cachedTokens: z.number().int(),
      evictedTokens: z.number().int(),
      sinks: z.number().int(),
      window: z.number().int(),
      /** The first 64 cached tokens and their text. */
      head: z.array(z.number().int()),
      headText: z.string(),
    }),
  ),
  // Quantization and calibration through the native addon (services/compress/worker).
  ...compressWorkerEndpoints,
  // Evaluation (PPL, KL divergence, speed) through the native addon (services/evaluate/worker).
  ...evaluateWorkerEndpoints,
};
export type WorkerContract = typeof workerContract;
export type KvApplyProgressPacket = z.infer<typeof kvApplyProgressSchema>;
