import { z } from "zod";
import { job, rpc } from "../endpoint.js";

/**
 * KV-cache compression: the cache types llama.cpp accepts for K and V (its `-ctk/-ctv` list
 * without f32/bf16, which only cost memory), flash attention, and eviction.
 */
export const kvCacheTypes = ["f16", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0", "iq4_nl"] as const;
export const kvCacheTypeSchema = z.enum(kvCacheTypes);
export type KvCacheType = z.infer<typeof kvCacheTypeSchema>;

/** auto: llama.cpp decides (and must turn it on for a quantized V cache). */
export const flashAttentionModeSchema = z.enum(["auto", "on", "off"]);
export type FlashAttentionMode = z.infer<typeof flashAttentionModeSchema>;

/**
 * What happens when the conversation outgrows the context.
 * none: whole old messages are left out before a reply (the system prompt stays), and a reply
 * that fills the context stops there. window: StreamingLLM-style eviction — the first `sinks`
 * tokens (and the system prompt) stay, the oldest tokens after them are evicted, and the cache
 * keeps the `window` most recent tokens, so a reply can run past the context size.
 */
export const evictionSchema = z.object({
  policy: z.enum(["none", "window"]),
  /** Attention-sink tokens kept at the start. At least 1: position 0 cannot be shifted. */
  sinks: z.number().int().min(1).max(1024),
  /** Recent tokens kept on eviction; 0: three quarters of the context. */
  window: z.number().int().min(0).max(1_048_576),
});
export type Eviction = z.infer<typeof evictionSchema>;

export const kvSettingsSchema = z.object({
  k: kvCacheTypeSchema,
  v: kvCacheTypeSchema,
  flashAttention: flashAttentionModeSchema,
  evict: evictionSchema,
});
export type KvSettings = z.infer<typeof kvSettingsSchema>;

export const kvSettingsDefaults: KvSettings = {
  k: "f16",
  v: "f16",
  flashAttention: "auto",
  evict: { policy: "none", sinks: 4, window: 0 },
};

/** What the loaded context really uses (after llama.cpp resolved "auto" and padded the size). */
export const kvActiveSchema = z.object({
  k: kvCacheTypeSchema,
  v: kvCacheTypeSchema,
  flashAttentionMode: flashAttentionModeSchema,
  /** Whether llama.cpp runs flash attention in this context. */
  flashAttention: z.boolean(),
  /** KV cells: the requested context rounded up to a multiple of 256. */
  contextSize: z.number().int(),
  evict: evictionSchema,
  /** Effective recent window in tokens (the `0` of "auto" resolved). */
  windowTokens: z.number().int(),
  /** Allocated K + V bytes, exact: Σ layers (K row + V row) × cells. */
  kvBytes: z.number(),
  kvBytesPerToken: z.number(),
});
export type KvActive = z.infer<typeof kvActiveSchema>;

export const kvTypeOptionSchema = z.object({
  type: kvCacheTypeSchema,
  bitsPerElement: z.number(),
  available: z.boolean(),
  /** Why it cannot be used here, in words. */
  reason: z.string().nullable(),
});

export const kvCapabilitiesSchema = z.object({
  backend: z.enum(["cpu", "cuda", "vulkan", "metal"]),
  types: z.array(kvTypeOptionSchema),
  /** Whether K and V may differ (Metal: no; CUDA: only in builds with all FA quant kernels). */
  mixedTypes: z.object({ allowed: z.boolean(), reason: z.string().nullable() }),
  /** Rules that apply here, shown next to the controls. */
  rules: z.array(z.string()),
  /** Limits of the other backends, so a user choosing a machine knows them in advance. */
  otherBackends: z.array(z.object({ backend: z.string(), limit: z.string() })),
  model: z
    .object({
      name: z.string(),
      layers: z.number().int(),
      kvHeads: z.number().int(),
      headDimK: z.number().int(),
      headDimV: z.number().int(),
      trainContextSize: z.number().int().nullable(),
      /** f16 K + V bytes per token, the reference the other types are compared with. */
      f16BytesPerToken: z.number(),
    })
    .nullable(),
});
export type KvCapabilities = z.infer<typeof kvCapabilitiesSchema>;

export const kvApplyProgressSchema = z.object({
  /**
   * rebuilding: a new context; converting: the saved cache is rewritten in the new types;
   * ingesting: the conversation goes back in; probing: quality check.
   */
  phase: z.enum(["rebuilding", "converting", "ingesting", "probing"]),
  fraction: z.number().min(0).max(1),
  tokens: z.number().int(),
  totalTokens: z.number().int(),
});
export type KvApplyProgress = z.infer<typeof kvApplyProgressSchema>;

/** Next-token distributions on the conversation's last tokens, new cache against the previous one. */
export const qualityProbeSchema = z.object({
  positions: z.number().int(),
  /** Mean KL(previous ‖ new) in nats, over each position's top tokens plus the rest as one bucket. */
  meanKl: z.number(),
  maxKl: z.number(),
  /** Share of positions whose most likely next token is the same. */
  topAgreement: z.number(),
  degraded: z.boolean(),
  klThreshold: z.number(),
  agreementThreshold: z.number(),
});
export type QualityProbe = z.infer<typeof qualityProbeSchema>;

export const kvApplyMethodSchema = z.enum(["converted", "reread"]);
export type KvApplyMethod = z.infer<typeof kvApplyMethodSchema>;

export const kvApplyResultSchema = z.object({
  /** false when no model is loaded: the settings are saved for the next load. */
  applied: z.boolean(),
  before: kvActiveSchema.nullable(),
  after: kvActiveSchema.nullable(),
  /** The conversation that was re-ingested, with the cache bytes it filled before and after. */
  conversation: z
    .object({
      id: z.string(),
      messages: z.number().int(),
      tokens: z.number().int(),
      stateBytesBefore: z.number().nullable(),
      stateBytesAfter: z.number(),
    })
    .nullable(),
  seconds: z.number(),
  /** Bringing the conversation over: converting (saving included) or re-reading, and the probe. */
  ingestSeconds: z.number(),
  /**
   * How the conversation got into the new cache: its saved cache converted to the new types,
   * or re-read from the database; null when there was nothing to bring over.
   */
  method: kvApplyMethodSchema.nullable(),
  /** Why it was re-read rather than converted, when it was. */
  methodReason: z.string().nullable(),
  probe: qualityProbeSchema.nullable(),
  /** What to go back to with one click. */
  previous: z.object({ kv: kvSettingsSchema, contextSize: z.number().int() }),
});
export type KvApplyResult = z.infer<typeof kvApplyResultSchema>;

export const kvEndpoints = {
  /** The KV types, pairs and rules this backend (and the given or loaded model) allows. */
  "kv.capabilities": rpc(z.object({ modelId: z.string().min(1).optional() }), kvCapabilitiesSchema),
  /**
   * Saves the KV settings and, when a model is loaded, rebuilds its context with them and
   * re-ingests the conversation from the database, then compares next-token distributions.
   */
  "kv.apply": job(
    z.object({
      conversationId: z.string().min(1).nullable(),
      kv: kvSettingsSchema,
      contextSize: z.number().int().min(128).max(1_048_576),
    }),
    kvApplyProgressSchema,
    kvApplyResultSchema,
  ),
};
