import { z } from "zod";
import { noParams, job, rpc, signal } from "../endpoint.js";
import { appErrorDataSchema } from "../errors.js";
import { jobStateSchema } from "./jobs.js";
import { modelSchema } from "./models.js";

/**
 * KV cache types a level's memory fit is computed for: llama.cpp's `-ctk/-ctv` list without
 * f32/bf16, the same list the chat's KV controls offer.
 */
export const levelKvTypeSchema = z.enum(["f16", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0", "iq4_nl"]);
export type LevelKvType = z.infer<typeof levelKvTypeSchema>;

/** Quality measured by earlier runs of the same model at a level (the evaluation issue fills it). */
export const levelQualitySchema = z
  .object({
    /** Mean KL divergence from the source model, nats per token. */
    meanKld: z.number().nullable(),
    /** Perplexity of the quantized model divided by the source's. */
    pplRatio: z.number().nullable(),
    /** Share of tokens where both models rank the same token first, 0..1. */
    sameTopRate: z.number().nullable(),
    runId: z.string(),
    /** PPL(quantized) − PPL(source). */
    deltaPpl: z.number().nullable().optional(),
    /** The measurement these numbers come from. */
    evaluationId: z.string().optional(),
    /** No other measured level of this model is both smaller and closer to the source. */
    onFrontier: z.boolean().optional(),
  })
  .nullable();
export type LevelQuality = z.infer<typeof levelQualitySchema>;

/**
 * How the weights are rounded. rtn: llama.cpp's quantizer as is (round to nearest after its scale
 * search). gptq: the same file type, each layer's weights rounded column by column with the
 * rounding error pushed onto the columns not yet rounded, weighted by the layer's inputs on a
 * calibration text ("calibrated"; docs/compression.md).
 */
export const quantizeMethodSchema = z.enum(["rtn", "gptq"]);
export type QuantizeMethod = z.infer<typeof quantizeMethodSchema>;

/** What a calibrated (gptq) run used: enough to repeat it. */
export const gptqInfoSchema = z.object({
  /** λ as a share of the mean diagonal of each input's Gram matrix. */
  damping: z.number(),
  textPath: z.string(),
  textSha256: z.string(),
  dataset: z.string(),
  chunkSize: z.number().int(),
  /** Chunks asked for; `tokens` says what was used. */
  chunks: z.number().int(),
  tokens: z.number().int().nullable(),
  /** Weight matrices rounded with compensation; the rest kept llama.cpp's bytes. */
  tensors: z.number().int().nullable(),
});
export type GptqInfo = z.infer<typeof gptqInfoSchema>;

/** fits: comfortably in free memory; tight: under it but with little margin; no: over it. */
export const fitSchema = z.enum(["fits", "tight", "no"]);
export type Fit = z.infer<typeof fitSchema>;

export const levelFamilySchema = z.enum(["float", "k-quant", "i-quant", "legacy", "ternary"]);

export const compressionLevelSchema = z.object({
  /** llama.cpp's name for the file type, e.g. "Q4_K_M". */
  level: z.string(),
  family: levelFamilySchema,
  /** The ggml type most tensors get, e.g. "Q4_K" for Q4_K_M. */
  baseType: z.string(),
  /** The bits per weight the level is known by (of its main tensor type). */
  nominalBpw: z.number(),
  /** Bits per weight of this model's file at this level (all tensors, header excluded). */
  bpw: z.number(),
  /** Exact size of the file this level produces for this model, with the default calibration. */
  sizeBytes: z.number(),
  /** sizeBytes as a fraction of the source file's size. */
  sizeFraction: z.number(),
  /** Exact sizes with and without an importance matrix (some mixes depend on it). */
  sizeBytesWithImatrix: z.number().nullable(),
  sizeBytesWithoutImatrix: z.number().nullable(),
  /** llama.cpp refuses this level without an importance matrix. */
  needsImatrix: z.boolean(),
  /** Calibration is offered (all levels below 4 bits). */
  imatrixOffered: z.boolean(),
  /** Calibration is on unless the user turns it off. */
  imatrixDefault: z.boolean(),
  /** Tensor count per ggml type in the output, e.g. {"Q4_K": 40, "Q6_K": 9, "F32": 13}. */
  tensorTypes: z.record(z.string(), z.number().int()),
  /** Tensors llama.cpp had to give another type (rows not a multiple of the block size). */
  fallbackTensors: z.number().int(),
  /** Weights + KV cache + compute buffers, for the chosen context and KV types. */
  memoryBytes: z.number(),
  fits: fitSchema,
  available: z.boolean(),
  /** Why the level is unavailable, in words. */
  reason: z.string().optional(),
  /** What to expect at this level, in plain language. */
  note: z.string(),
  quality: levelQualitySchema,
  /** Calibrated (gptq) rounding exists for this level's main type in this build. */
  gptqOffered: z.boolean().optional(),
  /** The method a quantization uses when the caller does not choose (absent: rtn). */
  methodDefault: quantizeMethodSchema.optional(),
  /** Quality measured for this level's calibrated (gptq) variant; `quality` is the plain one. */
  gptqQuality: levelQualitySchema.optional(),
});
export type CompressionLevel = z.infer<typeof compressionLevelSchema>;

export const levelsResultSchema = z.object({
  model: z.object({
    id: z.string(),
    name: z.string(),
    sizeBytes: z.number(),
    bpw: z.number(),
    fileType: z.string().nullable(),
    /** Its weights are already quantized: compressing again compounds the error. */
    quantized: z.boolean(),
  }),
  contextSize: z.number().int(),
  kvTypeK: levelKvTypeSchema,
  kvTypeV: levelKvTypeSchema,
  kvCacheBytes: z.number(),
  memory: z.object({ availableBytes: z.number(), totalBytes: z.number() }),
  /** Ordered by bits per weight, highest first. */
  levels: z.array(compressionLevelSchema),
});
export type LevelsResult = z.infer<typeof levelsResultSchema>;

export const imatrixChoiceSchema = z.enum(["auto", "on", "off"]);
export type ImatrixChoice = z.infer<typeof imatrixChoiceSchema>;

export const runOptionsSchema = z.object({
  imatrix: imatrixChoiceSchema,
  imatrixTextPath: z.string().nullable(),
  imatrixChunks: z.number().int().nullable(),
  allowRequantize: z.boolean(),
});

export const runSchema = z.object({
  id: z.string(),
  jobId: z.string().nullable(),
  sourceModelId: z.string().nullable(),
  sourceName: z.string(),
  sourceSha256: z.string(),
  level: z.string(),
  options: runOptionsSchema,
  imatrix: z.boolean(),
  imatrixTextSha256: z.string().nullable(),
  imatrixDataset: z.string().nullable(),
  /** How the weights were rounded; absent means "rtn" (runs from before gptq existed). */
  method: quantizeMethodSchema.optional(),
  gptq: gptqInfoSchema.nullable().optional(),
  outputModelId: z.string().nullable(),
  outputPath: z.string().nullable(),
  sizeBytes: z.number().nullable(),
  bpw: z.number().nullable(),
  durationMs: z.number().nullable(),
  threads: z.number().int(),
  machine: z.string(),
  status: jobStateSchema,
  error: appErrorDataSchema.nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type Run = z.infer<typeof runSchema>;

export const quantizeProgressSchema = z.object({
  phase: z.enum([
    "queued",
    "calibrating",
    "quantizing",
    "compensating",
    "verifying",
    "registering",
  ]),
  /** The whole job, 0..1. */
  fraction: z.number().min(0).max(1),
  /** While quantizing: the tensor llama.cpp is on, 1-based. */
  tensorIndex: z.number().int().optional(),
  tensorCount: z.number().int().optional(),
  tensorName: z.string().optional(),
  /** While compensating: weight matrices rounded so far, of tensorCount. */
  /** While calibrating: chunks of the calibration text evaluated so far. */
  chunk: z.number().int().optional(),
  chunks: z.number().int().optional(),
});
export type QuantizeProgress = z.infer<typeof quantizeProgressSchema>;

export const exportResultSchema = z.object({
  path: z.string(),
  sha256: z.string(),
  sizeBytes: z.number(),
  sha256Path: z.string(),
  cardPath: z.string(),
  /** The lowbit.* keys written into the file. */
  provenance: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
export type ExportResult = z.infer<typeof exportResultSchema>;

const id = z.string().min(1);

export const compressEndpoints = {
  /** Every level for one model: exact sizes, bits per weight, fit, calibration, notes. */
  "compress.levels": rpc(
    z.object({
      modelId: id,
      /** Defaults to the runtime.contextSize setting. */
      contextSize: z.number().int().min(128).max(1_048_576).optional(),
      /** Default to the KV types in the runtime.kv setting. */
      kvTypeK: levelKvTypeSchema.optional(),
      kvTypeV: levelKvTypeSchema.optional(),
    }),
    levelsResultSchema,
  ),
  /** Quantizes a model in the library to a level; the result is a new model in the library. */
  "compress.quantize": job(
    z.object({
      modelId: id,
      level: z.string().min(1),
      /** auto: calibrate where llama.cpp needs it and below 4 bits. */
      imatrix: imatrixChoiceSchema.default("auto"),
      /** A text file to calibrate on; defaults to the starter model's calibration split. */
      imatrixTextPath: z.string().min(1).optional(),
      /** At most this many chunks of the text; defaults to 100. */
      imatrixChunks: z.number().int().min(1).max(100_000).optional(),
      /** 0: every core. */
      threads: z.number().int().min(0).max(256).default(0),
      /** Write the output here (kept as a linked model) instead of the library folder. */
      outPath: z.string().min(1).optional(),
      name: z.string().trim().min(1).max(200).optional(),
      /** Quantizing an already quantized model compounds the error; the user must say so. */
      allowRequantize: z.boolean().default(false),
      /** Defaults to the level's own default (levels[].methodDefault). */
      method: quantizeMethodSchema.optional(),
      /** gptq: the text to calibrate on; defaults to the starter model's calibration split. */
      calibrationTextPath: z.string().min(1).optional(),
      /** gptq: at most this many chunks of that text; defaults to 64. */
      calibrationChunks: z.number().int().min(1).max(100_000).optional(),
    }),
    quantizeProgressSchema,
    z.object({ run: runSchema, model: modelSchema, reused: z.boolean() }),
  ),
  /** A quantized model written where the user chooses, with provenance, a .sha256 and a card. */
  "compress.export": job(
    z
      .object({
        modelId: id.optional(),
        runId: id.optional(),
        path: z.string().min(1),
        /** Replace an existing file at `path`. */
        overwrite: z.boolean().default(false),
      })
      .refine((p) => (p.modelId === undefined) !== (p.runId === undefined), {
        message: "give exactly one of modelId and runId",
      }),
    z.object({ phase: z.enum(["writing", "hashing"]), fraction: z.number().min(0).max(1) }),
    exportResultSchema,
  ),
  /** Where an export of this model goes unless the user picks another path. */
  "compress.suggestExportPath": rpc(z.object({ modelId: id }), z.object({ path: z.string() })),
  "runs.list": rpc(
    z.object({
      /** Only runs from or to this model. */
      modelId: id.optional(),
      limit: z.number().int().min(1).max(1000).default(200),
    }),
    z.array(runSchema),
  ),
  "runs.get": rpc(z.object({ id }), runSchema),
  /** Stops a queued or running quantization, from any window; false if it had already ended. */
  "runs.cancel": rpc(z.object({ id }), z.object({ cancelled: z.boolean() })),
  /** The latest runs, pushed whenever one starts, progresses to a new state or ends. */
  "runs.changed": signal(noParams, z.array(runSchema)),
};
