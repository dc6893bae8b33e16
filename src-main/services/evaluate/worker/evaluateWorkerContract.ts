import { z } from "zod";
import { job } from "../../../contract/endpoint.js";

/**
 * The model worker's evaluation endpoint (merged into workerContract). It runs the native
 * addon, so it lives in the worker process; each pass of an evaluation gets a worker of its own,
 * so the peak memory it reports is that model's, and cancelling can always end the process.
 */
const distribution = z.object({
  mean: z.number(),
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

export const workerEvaluateResultSchema = z.object({
  textTokens: z.number(),
  contextSize: z.number().int(),
  vocabSize: z.number().int(),
  chunks: z.number().int(),
  sequences: z.number().int(),
  scoredTokens: z.number().int(),
  ppl: z.number(),
  pplError: z.number(),
  promptTokens: z.number(),
  promptSeconds: z.number(),
  decodeTokens: z.number().int(),
  decodeSeconds: z.number(),
  loadSeconds: z.number(),
  seconds: z.number(),
  peakRssBytes: z.number(),
  comparison: z
    .object({
      pplBase: z.number(),
      pplBaseError: z.number(),
      pplCorrelation: z.number(),
      lnPplRatio: z.number(),
      lnPplRatioError: z.number(),
      pplRatio: z.number(),
      pplRatioError: z.number(),
      deltaPpl: z.number(),
      deltaPplError: z.number(),
      kld: distribution,
      deltaP: distribution.extend({ rms: z.number(), rmsError: z.number() }),
      sameTop: z.number(),
      sameTopError: z.number(),
    })
    .nullable(),
});
export type WorkerEvaluateResult = z.infer<typeof workerEvaluateResultSchema>;

export const evaluateWorkerEndpoints = {
  "worker.evaluate": job(
    z.object({
      modelPath: z.string().min(1),
      textPath: z.string().nullable(),
      baseLogProbsPath: z.string().nullable(),
      saveLogProbsPath: z.string().nullable(),
      contextSize: z.number().int().min(16),
      maxChunks: z.number().int(),
      batchSize: z.number().int().min(1),
      /** 0: choose for this machine. */
      threads: z.number().int().min(0),
      decodeTokens: z.number().int().min(0),
    }),
    z.object({ chunk: z.number().int(), chunks: z.number().int() }),
    workerEvaluateResultSchema,
  ),
};
