import { z } from "zod";
import { noParams, rpc } from "../endpoint.js";

/** Whether the Lowbit extended runtime (llama.cpp with Lowbit's own ggml types) is loaded. */
export const extendedRuntimeSchema = z.object({
  /** Lowbit's types (PTQTP) can be quantized, loaded and run. */
  available: z.boolean(),
  /** localBuild: llama.cpp built on this machine; prebuilt: node-llama-cpp's binaries. */
  buildType: z.enum(["localBuild", "prebuilt"]),
  /** Lowbit's types the loaded library knows, e.g. ["PTQTP1", "PTQTP2"]. */
  types: z.array(z.string()),
  /** Why it is not available, in plain words. */
  reason: z.string().optional(),
  /** What to do about it. */
  hint: z.string().optional(),
});
export type ExtendedRuntime = z.infer<typeof extendedRuntimeSchema>;

export const runtimeCapabilitiesSchema = z.object({ extended: extendedRuntimeSchema });
export type RuntimeCapabilities = z.infer<typeof runtimeCapabilitiesSchema>;

export const capabilitiesEndpoints = {
  /** What the llama.cpp runtime here can do; checked once per app run, in a process of its own. */
  "runtime.capabilities": rpc(noParams, runtimeCapabilitiesSchema),
};
