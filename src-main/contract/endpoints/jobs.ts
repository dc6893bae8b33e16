import { z } from "zod";
import { appErrorDataSchema } from "../errors.js";
import { noParams, rpc, signal } from "../endpoint.js";

export const jobStateSchema = z.enum(["queued", "running", "done", "failed", "cancelled"]);
export type JobState = z.infer<typeof jobStateSchema>;

export const jobRecordSchema = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  state: jobStateSchema,
  fraction: z.number().nullable(),
  error: appErrorDataSchema.nullable(),
  result: z.unknown().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type JobRecord = z.infer<typeof jobRecordSchema>;

export const jobsEndpoints = {
  "jobs.list": rpc(
    z.object({ limit: z.number().int().min(1).max(500).default(50) }),
    z.array(jobRecordSchema),
  ),
  "jobs.changed": signal(noParams, z.array(jobRecordSchema)),
};
