import { z } from "zod";
import { job, rpc } from "../../../contract/endpoint.js";
import { appErrorDataSchema } from "../../../contract/errors.js";

/**
 * The model worker's compression endpoints (merged into workerContract). They run the native
 * addon, so they live in the worker process; the app spawns a worker of its own for each
 * compression job, so that cancelling can always end the process if llama.cpp does not stop.
 */
const tensorPlanSchema = z.object({
  name: z.string(),
  fromType: z.number().int(),
  toType: z.number().int(),
  bytes: z.number(),
});

const metadataEntrySchema = z.object({
  key: z.string().min(1).max(127),
  value: z.union([z.string().max(127), z.number(), z.boolean()]),
});

export const workerQuantizeResultSchema = z.object({
  fileBytes: z.number(),
  seconds: z.number(),
  elements: z.number(),
  fallbackTensors: z.number().int(),
  imatrixEntries: z.number().int(),
  tensors: z.array(tensorPlanSchema),
});
export type WorkerQuantizeResult = z.infer<typeof workerQuantizeResultSchema>;

export const levelPlanSchema = z.object({
  ftype: z.number().int(),
  assumeImatrix: z.boolean(),
  metadata: z.array(metadataEntrySchema),
  /** Exact size of the file; null when llama.cpp refused to plan this level. */
  fileBytes: z.number().nullable(),
  /** Tensor data bytes (without the header and padding), for bits per weight. */
  tensorBytes: z.number(),
  elements: z.number(),
  requiresImatrix: z.boolean(),
  fallbackTensors: z.number().int(),
  /** Tensor count per output ggml type id. */
  tensorTypes: z.record(z.string(), z.number().int()),
  error: appErrorDataSchema.nullable(),
});
export type LevelPlan = z.infer<typeof levelPlanSchema>;

export const compressWorkerEndpoints = {
  "worker.quantize": job(
    z.object({
      inputPath: z.string().min(1),
      outputPath: z.string().min(1),
      ftype: z.number().int().min(0),
      threads: z.number().int().min(0),
      allowRequantize: z.boolean(),
      imatrixPath: z.string().nullable(),
      metadata: z.array(metadataEntrySchema),
    }),
    z.object({ tensorIndex: z.number().int(), tensorCount: z.number().int(), name: z.string() }),
    workerQuantizeResultSchema,
  ),
  "worker.planLevels": rpc(
    z.object({
      inputPath: z.string().min(1),
      plans: z.array(
        z.object({
          ftype: z.number().int().min(0),
          assumeImatrix: z.boolean(),
          /** Metadata the real run will add (it changes the header's size). */
          metadata: z.array(metadataEntrySchema).default([]),
        }),
      ),
    }),
    z.array(levelPlanSchema),
  ),
  /** Calibrated rounding of a file worker.quantize just wrote (addon gptq()). */
  "worker.gptq": job(
    z.object({
      modelPath: z.string().min(1),
      targetPath: z.string().min(1),
      textPath: z.string().min(1),
      chunkSize: z.number().int().min(16),
      maxChunks: z.number().int(),
      damping: z.number().min(0).max(1),
      /** 0: choose for this machine. */
      threads: z.number().int().min(0),
    }),
    z.object({
      phase: z.enum(["calibrating", "compensating"]),
      done: z.number().int(),
      total: z.number().int(),
      pass: z.number().int(),
      passes: z.number().int(),
    }),
    z.object({
      chunks: z.number().int(),
      tokens: z.number().int(),
      passes: z.number().int(),
      compensated: z.number().int(),
      skipped: z.number().int(),
      calibrationSeconds: z.number(),
      compensationSeconds: z.number(),
    }),
  ),
  /** ggml type ids calibrated rounding supports in this worker's build. */
  "worker.gptqTypes": rpc(z.object({}), z.array(z.number().int())),
  "worker.imatrix": job(
    z.object({
      modelPath: z.string().min(1),
      textPath: z.string().min(1),
      outputPath: z.string().min(1),
      datasetName: z.string(),
      chunkSize: z.number().int().min(16),
      maxChunks: z.number().int(),
      /** 0: choose for this machine. */
      threads: z.number().int().min(0),
    }),
    z.object({ chunk: z.number().int(), chunks: z.number().int() }),
    z.object({
      chunks: z.number().int(),
      chunkSize: z.number().int(),
      tokens: z.number().int(),
      entries: z.number().int(),
      seconds: z.number(),
    }),
  ),
};
