import { z } from "zod";
import { noParams, rpc, signal } from "../endpoint.js";

/** User settings: one pool of dotted keys, each with a default. */
export const settingsSchema = z.object({
  "ui.theme": z.enum(["system", "light", "dark"]).default("system"),
  "chat.temperature": z.number().min(0).max(2).default(0.7),
  "chat.maxTokens": z.number().int().min(1).max(32_768).default(512),
  /** null: a new random seed per reply. */
  "chat.seed": z.number().int().min(0).nullable().default(null),
  "runtime.contextSize": z.number().int().min(128).max(1_048_576).default(2048),
  /** 0: pick for this machine. */
  "runtime.threads": z.number().int().min(0).max(256).default(0),
  "library.selectedModelId": z.string().nullable().default(null),
  /** Set when the user removes the bundled starter model, so it is not added back at start-up. */
  "library.starterDismissed": z.boolean().default(false),
});
export type Settings = z.infer<typeof settingsSchema>;
export const settingsPatchSchema = settingsSchema.partial().strict();
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export const settingsEndpoints = {
  "settings.get": rpc(noParams, settingsSchema),
  "settings.set": rpc(z.object({ patch: settingsPatchSchema }), settingsSchema),
  "settings.changed": signal(noParams, settingsSchema),
};
