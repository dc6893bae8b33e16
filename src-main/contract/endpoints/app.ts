import { z } from "zod";
import { noParams, rpc } from "../endpoint.js";

export const appInfoSchema = z.object({
  version: z.string(),
  home: z.string(),
  /** electron: the desktop window; browser: `lowbit serve` in a browser tab. */
  shell: z.enum(["electron", "browser", "cli", "test"]),
  platform: z.string(),
  cpus: z.number().int(),
  totalMemoryBytes: z.number(),
  /** A native open-file dialog is available (Electron only). */
  canPickFiles: z.boolean(),
});
export type AppInfo = z.infer<typeof appInfoSchema>;

export const appEndpoints = {
  "app.info": rpc(noParams, appInfoSchema),
  /** Opens the OS file dialog; null when the user cancels. Electron only. */
  "app.pickModelFile": rpc(noParams, z.object({ path: z.string().nullable() })),
};
