import { z } from "zod";
import { appErrorDataSchema } from "../errors.js";
import { job, noParams, rpc, signal } from "../endpoint.js";
import { kvActiveSchema, kvSettingsSchema } from "./kv.js";

export const runtimeStatusSchema = z.enum(["empty", "loading", "ready", "generating", "crashed"]);

export const runtimeStateSchema = z.object({
  status: runtimeStatusSchema,
  model: z.object({ id: z.string(), name: z.string() }).nullable(),
  loadFraction: z.number().nullable(),
  contextSize: z.number().nullable(),
  threads: z.number().nullable(),
  /** The KV cache of the loaded context; null when nothing is loaded. */
  kv: kvActiveSchema.nullable(),
  /** Set after a crash or failed load, cleared by the next successful load. */
  error: appErrorDataSchema.nullable(),
});
export type RuntimeState = z.infer<typeof runtimeStateSchema>;

/**
 * Where the model process's memory goes, pushed at least twice a second while a reply is being
 * written and after every load or KV change.
 */
export const memorySnapshotSchema = z.object({
  /** Milliseconds since the epoch. */
  at: z.number(),
  weights: z.object({ ramBytes: z.number(), vramBytes: z.number() }),
  kv: z.object({
    /** Allocated K + V bytes (exact, from the layer count, KV heads, head size, cells and types). */
    allocatedBytes: z.number(),
    /** The part the conversation fills: used cells × bytes per token. */
    usedBytes: z.number(),
    /** llama.cpp's own count: the size of the sequence's saved state (cross-check). */
    stateBytes: z.number(),
    usedTokens: z.number().int(),
    contextSize: z.number().int(),
    bytesPerToken: z.number(),
  }),
  /** Compute buffers (the graph's scratch memory), from llama.cpp's allocation. */
  computeBytes: z.number(),
  /** The model process's resident set size. */
  rssBytes: z.number(),
  system: z.object({ totalBytes: z.number(), freeBytes: z.number() }),
  vram: z
    .object({ totalBytes: z.number(), usedBytes: z.number(), freeBytes: z.number() })
    .nullable(),
  /** The reply being written now: tokens so far and their rate. */
  live: z.object({ tokens: z.number().int(), decodeTps: z.number() }).nullable(),
});
export type MemorySnapshot = z.infer<typeof memorySnapshotSchema>;

/** Memory a model would need with a context and KV types, before loading it. */
export const memoryEstimateSchema = z.object({
  modelId: z.string(),
  contextSize: z.number().int(),
  kv: kvSettingsSchema.pick({ k: true, v: true, flashAttention: true }),
  weightsBytes: z.number(),
  kvBytes: z.number(),
  computeBytes: z.number(),
  /** RAM the model process is expected to take (weights not on a GPU, KV, compute). */
  ramBytes: z.number(),
  vramBytes: z.number(),
  /** RAM Lowbit may use: free memory plus what unloading the current model returns, or the limit. */
  availableBytes: z.number(),
  /** Kept free for the system and the app itself. */
  marginBytes: z.number(),
  limitBytes: z.number().nullable(),
  fits: z.boolean(),
  /** dry-run: llama.cpp simulated the allocation (node-llama-cpp's V2 estimator). */
  method: z.enum(["dry-run", "formula"]),
});
export type MemoryEstimate = z.infer<typeof memoryEstimateSchema>;

export const runtimeEndpoints = {
  "runtime.state": signal(noParams, runtimeStateSchema),
  "runtime.memory": signal(noParams, memorySnapshotSchema.nullable()),
  /**
   * Loads a model with the saved context size and KV settings. Refuses with
   * `insufficient_memory` when the estimate does not fit; `force` loads anyway.
   */
  "runtime.load": job(
    z.object({ modelId: z.string().min(1), force: z.boolean().default(false) }),
    z.object({ fraction: z.number().min(0).max(1) }),
    runtimeStateSchema,
  ),
  "runtime.unload": rpc(noParams, runtimeStateSchema),
  /** The pre-load estimate for a model, with the saved settings unless others are given. */
  "runtime.estimate": rpc(
    z.object({
      modelId: z.string().min(1),
      contextSize: z.number().int().min(128).max(1_048_576).optional(),
      kv: kvSettingsSchema.optional(),
    }),
    memoryEstimateSchema,
  ),
};
