import { z } from "zod";
import { appErrorDataSchema } from "../errors.js";
import { job, noParams, rpc, signal } from "../endpoint.js";

export const runtimeStatusSchema = z.enum(["empty", "loading", "ready", "generating", "crashed"]);

export const runtimeStateSchema = z.object({
  status: runtimeStatusSchema,
  model: z.object({ id: z.string(), name: z.string() }).nullable(),
  loadFraction: z.number().nullable(),
  contextSize: z.number().nullable(),
  threads: z.number().nullable(),
  /** Set after a crash or failed load, cleared by the next successful load. */
  error: appErrorDataSchema.nullable(),
});
export type RuntimeState = z.infer<typeof runtimeStateSchema>;

export const runtimeEndpoints = {
  "runtime.state": signal(noParams, runtimeStateSchema),
  "runtime.load": job(
    z.object({ modelId: z.string().min(1) }),
    z.object({ fraction: z.number().min(0).max(1) }),
    runtimeStateSchema,
  ),
  "runtime.unload": rpc(noParams, runtimeStateSchema),
};
