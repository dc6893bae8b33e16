import { z } from "zod";
import { job, noParams, rpc, signal } from "../endpoint.js";

export const typeHistogramEntrySchema = z.object({
  tensors: z.number().int(),
  elements: z.number(),
  bytes: z.number(),
});

export const modelSourceSchema = z.enum(["bundled", "imported", "downloaded", "quantized"]);
export type ModelSource = z.infer<typeof modelSourceSchema>;

/** base: continues text; instruct: follows a chat template; unknown: could not tell. */
export const modelKindSchema = z.enum(["base", "instruct", "unknown"]);
export type ModelKind = z.infer<typeof modelKindSchema>;

export const modelSchema = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  /** true when the library points at the user's file instead of holding its own copy. */
  linked: z.boolean(),
  source: modelSourceSchema,
  sha256: z.string(),
  sizeBytes: z.number(),
  arch: z.string(),
  params: z.number(),
  contextLength: z.number().nullable(),
  fileType: z.string().nullable(),
  bpw: z.number(),
  typeHistogram: z.record(z.string(), typeHistogramEntrySchema),
  kind: modelKindSchema,
  hasChatTemplate: z.boolean(),
  addedAt: z.string(),
});
export type Model = z.infer<typeof modelSchema>;

const modelId = z.string().min(1);

export const importProgressSchema = z.object({
  phase: z.enum(["checking", "copying", "hashing", "registering"]),
  fraction: z.number().min(0).max(1),
  bytes: z.number().optional(),
  totalBytes: z.number().optional(),
});

export const modelsEndpoints = {
  "models.list": rpc(noParams, z.array(modelSchema)),
  /** The whole library, pushed whenever a model is added, renamed or removed (by any window or the CLI's host). */
  "models.changed": signal(noParams, z.array(modelSchema)),
  "models.get": rpc(z.object({ id: modelId }), modelSchema),
  /** Accepts an id, a name or a path (as the CLI does). */
  "models.resolve": rpc(z.object({ ref: z.string().min(1) }), modelSchema),
  "models.import": job(
    z.object({
      path: z.string().min(1),
      name: z.string().trim().min(1).max(200).optional(),
      link: z.boolean().default(false),
    }),
    importProgressSchema,
    modelSchema,
  ),
  "models.rename": rpc(
    z.object({ id: modelId, name: z.string().trim().min(1).max(200) }),
    modelSchema,
  ),
  "models.remove": rpc(
    z.object({ id: modelId, deleteFile: z.boolean().default(true) }),
    z.object({ removed: z.boolean(), fileDeleted: z.boolean() }),
  ),
};
