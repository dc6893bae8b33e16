import { z } from "zod";
import { job, noParams, rpc, signal } from "../endpoint.js";
import { appErrorDataSchema } from "../errors.js";
import { imatrixChoiceSchema, runSchema } from "./compress.js";
import { jobStateSchema } from "./jobs.js";

/** llama-perplexity's percentile block for one per-token quantity. */
export const distributionSchema = z.object({
  mean: z.number(),
  /** Standard error of the mean. */
  error: z.number(),
  max: z.number(),
  p999: z.number(),
  p99: z.number(),
  p95: z.number(),
  p90: z.number(),
  p75: z.number(),
  median: z.number(),
  p25: z.number(),
  p10: z.number(),
  p5: z.number(),
  p1: z.number(),
  p01: z.number(),
  min: z.number(),
});
export type Distribution = z.infer<typeof distributionSchema>;

/**
 * How KL divergence was computed. "full-vocabulary": over every token of the vocabulary at every
 * scored position, against the base model's log-probabilities stored at 16 bits over the top 16
 * nats (llama-perplexity's own file format; tokens below that floor are left out, as it does).
 * No top-k or sampled approximation is used; a new method would get a new name here.
 */
export const kldMethodSchema = z.enum(["full-vocabulary"]);
export type KldMethod = z.infer<typeof kldMethodSchema>;

/** What a model costs against its base, measured the way llama-perplexity measures it. */
export const evaluationMetricsSchema = z.object({
  /** Perplexity of the model over the scored tokens, and its ± (one standard error). */
  ppl: z.number(),
  pplError: z.number(),
  pplBase: z.number(),
  pplBaseError: z.number(),
  /** PPL(model) − PPL(base). */
  deltaPpl: z.number(),
  deltaPplError: z.number(),
  /** PPL(model) / PPL(base), and its logarithm (0 when the two agree). */
  pplRatio: z.number(),
  lnPplRatio: z.number(),
  lnPplRatioError: z.number(),
  /** Correlation of the two models' per-token ln PPL, 0..1. */
  pplCorrelation: z.number(),
  /** Mean KL(base ‖ model) per token, nats, with its ± and 99th percentile. */
  kld: z.number(),
  kldError: z.number(),
  kldP99: z.number(),
  kldDistribution: distributionSchema,
  /** p_model(correct token) − p_base(correct token), as a fraction; rms is llama.cpp's RMS Δp. */
  deltaP: distributionSchema.extend({ rms: z.number(), rmsError: z.number() }),
  /** Share of scored tokens where both models rank the same token first, 0..1 ("Same top p"). */
  top1: z.number(),
  top1Error: z.number(),
  /** Tokens per second reading the text (batched, as a prompt is read). */
  promptTps: z.number(),
  /** Tokens per second one at a time after a short prompt, as generating does; null if skipped. */
  decodeTps: z.number().nullable(),
  /** Peak resident memory of the process that evaluated the model. */
  peakRssBytes: z.number(),
  /** Tokens scored (the second half of each chunk). */
  tokens: z.number().int(),
  /** Wall time of the whole evaluation, base pass included when it ran. */
  seconds: z.number(),
  /** The base pass came from the cache. */
  baseReused: z.boolean(),
  /** Vocabulary size of both models. */
  vocabSize: z.number().int(),
});
export type EvaluationMetrics = z.infer<typeof evaluationMetricsSchema>;

export const evaluationSchema = z.object({
  id: z.string(),
  jobId: z.string().nullable(),
  /** The compression run that made the model, when Lowbit made it. */
  runId: z.string().nullable(),
  /** A snapshot of the measured model: it stays meaningful after the model is removed. */
  model: z.object({
    id: z.string().nullable(),
    name: z.string(),
    sha256: z.string(),
    /** The compression level (or the file type for a model Lowbit did not make). */
    level: z.string().nullable(),
    sizeBytes: z.number(),
    bpw: z.number(),
  }),
  base: z.object({ id: z.string().nullable(), name: z.string(), sha256: z.string() }),
  /** Results are comparable only on the same text (same sha256), context and chunks. */
  text: z.object({ name: z.string(), sha256: z.string() }),
  contextSize: z.number().int(),
  /** What was asked for; null: the default. */
  chunksRequested: z.number().int().nullable(),
  /** What was evaluated. */
  chunks: z.number().int().nullable(),
  /** The base log-prob cache's size cap allowed fewer chunks than asked for. */
  chunksLimited: z.boolean(),
  kldMethod: kldMethodSchema,
  threads: z.number().int(),
  machine: z.string(),
  metrics: evaluationMetricsSchema.nullable(),
  status: jobStateSchema,
  error: appErrorDataSchema.nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type Evaluation = z.infer<typeof evaluationSchema>;

export const evaluateProgressSchema = z.object({
  /** base: the base model's pass (skipped when cached); model: the measured model's pass. */
  phase: z.enum(["queued", "base", "model", "saving"]),
  /** The whole evaluation, 0..1. */
  fraction: z.number().min(0).max(1),
  chunk: z.number().int().optional(),
  chunks: z.number().int().optional(),
});
export type EvaluateProgress = z.infer<typeof evaluateProgressSchema>;

export const sweepProgressSchema = z.object({
  /** The whole sweep, 0..1. */
  fraction: z.number().min(0).max(1),
  /** Which level of the sweep, 0-based, of `count`. */
  index: z.number().int(),
  count: z.number().int(),
  level: z.string(),
  step: z.enum(["quantize", "evaluate", "done"]),
  /** What the step is doing, in words ("quantizing 40%", "base pass, chunk 3 of 32"). */
  detail: z.string(),
});
export type SweepProgress = z.infer<typeof sweepProgressSchema>;

export const sweepItemSchema = z.object({
  level: z.string(),
  run: runSchema.nullable(),
  evaluation: evaluationSchema.nullable(),
  /** A finished run of this level was reused instead of quantizing again. */
  reusedRun: z.boolean(),
  /** A measurement with the same text and settings existed, so it was not repeated. */
  reusedEvaluation: z.boolean(),
  /** Why this level has no result (the others still ran). */
  error: appErrorDataSchema.nullable(),
});
export type SweepItem = z.infer<typeof sweepItemSchema>;

export const evaluateInfoSchema = z.object({
  /** The text used unless another is chosen: the starter model's held-out split. */
  defaultText: z.object({ name: z.string(), sha256: z.string() }).nullable(),
  defaultContextSize: z.number().int(),
  defaultChunks: z.number().int(),
  cache: z.object({
    folder: z.string(),
    bytes: z.number(),
    capBytes: z.number(),
    files: z.number().int(),
  }),
});
export type EvaluateInfo = z.infer<typeof evaluateInfoSchema>;

const id = z.string().min(1);

/** What both an evaluation and a sweep take about the measurement. */
const measureParams = {
  /** A text file; defaults to the starter model's held-out split. */
  textPath: z.string().min(1).optional(),
  /** Tokens per chunk; defaults to 512, or the model's context if that is shorter. */
  contextSize: z.number().int().min(16).max(65_536).optional(),
  /** At most this many chunks (second half of each scored); defaults to 32. */
  chunks: z.number().int().min(1).max(100_000).optional(),
  /** 0: choose for this machine. */
  threads: z.number().int().min(0).max(256).default(0),
};

export const evaluateEndpoints = {
  /**
   * Measures a model against its base: the model a run made it from unless `baseModelId` says
   * otherwise. Reuses nothing unless the same measurement exists and `force` is off.
   */
  "evaluate.run": job(
    z.object({
      modelId: id,
      baseModelId: id.optional(),
      ...measureParams,
      /** Measure again even if the same model, base, text and settings were measured. */
      force: z.boolean().default(false),
    }),
    evaluateProgressSchema,
    evaluationSchema,
  ),
  /** Quantizes and measures a set of levels of one model, skipping what was already done. */
  "evaluate.sweep": job(
    z.object({
      modelId: id,
      levels: z.array(z.string().min(1)).min(1).max(64),
      ...measureParams,
      imatrix: imatrixChoiceSchema.default("auto"),
    }),
    sweepProgressSchema,
    z.object({ items: z.array(sweepItemSchema) }),
  ),
  "evaluate.list": rpc(
    z.object({
      /** Only measurements of this model or against it as the base. */
      modelId: id.optional(),
      runId: id.optional(),
      limit: z.number().int().min(1).max(5000).default(500),
    }),
    z.array(evaluationSchema),
  ),
  "evaluate.get": rpc(z.object({ id }), evaluationSchema),
  "evaluate.remove": rpc(z.object({ id }), z.object({ removed: z.boolean() })),
  /** The latest measurements, pushed whenever one starts, ends or is removed. */
  "evaluate.changed": signal(noParams, z.array(evaluationSchema)),
  /** Defaults, and the base log-prob cache's size and cap. */
  "evaluate.info": rpc(noParams, evaluateInfoSchema),
  /** Deletes every cached base pass (they are recomputed when needed). */
  "evaluate.clearCache": rpc(noParams, z.object({ files: z.number().int(), bytes: z.number() })),
};
