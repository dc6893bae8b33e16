import { z } from "zod";
import { noParams, rpc, signal } from "../endpoint.js";
import { SYSTEM_PROMPT_MAX } from "./chat.js";
import { kvSettingsDefaults, kvSettingsSchema } from "./kv.js";

/** User settings: one pool of dotted keys. Each field's schema, then its default. */
export const settingFields = {
  "ui.theme": z.enum(["system", "light", "dark"]),
  "chat.temperature": z.number().min(0).max(2),
  "chat.maxTokens": z.number().int().min(1).max(32_768),
  /** null: a new random seed per reply. */
  "chat.seed": z.number().int().min(0).nullable(),
  /** Nucleus sampling: keep the most likely tokens up to this probability mass; 1: off. */
  "chat.topP": z.number().min(0).max(1),
  /** Keep only the k most likely tokens; 0: off. */
  "chat.topK": z.number().int().min(0).max(1000),
  /** Drop tokens less likely than this fraction of the most likely one; 0: off. */
  "chat.minP": z.number().min(0).max(1),
  /** Penalty on tokens of the last 64 generated; 1: off. */
  "chat.repeatPenalty": z.number().min(1).max(2),
  /** The system prompt new conversations start with. */
  "chat.systemPrompt": z.string().max(SYSTEM_PROMPT_MAX),
  "runtime.contextSize": z.number().int().min(128).max(1_048_576),
  /** 0: pick for this machine. */
  "runtime.threads": z.number().int().min(0).max(256),
  /** KV cache types, flash attention and eviction for the loaded context. */
  "runtime.kv": kvSettingsSchema,
  /** Bytes of RAM a model may take before Lowbit refuses to load it; null: what is free. */
  "runtime.memoryLimit": z.number().int().min(0).nullable(),
  "library.selectedModelId": z.string().nullable(),
  /** Set when the user removes the bundled starter model, so it is not added back at start-up. */
  "library.starterDismissed": z.boolean(),
  /** Downloads that run at once; the rest wait in the queue. */
  "downloads.concurrency": z.number().int().min(1).max(8),
  /** Bytes the cached base log-probabilities (for KL divergence) may take on disk. */
  "evaluate.cacheBytes": z.number().int().min(0),
  /** Where hf:owner/repo sources are looked up; LOWBIT_HUB_URL overrides it. */
  "downloads.hubUrl": z.url({
    protocol: /^https?$/,
    error: "the hub address must be an http(s) URL",
  }),
};

export const settingsSchema = z.object(settingFields);
export type Settings = z.infer<typeof settingsSchema>;
export type SettingKey = keyof Settings;

export const settingsDefaults: Settings = {
  "ui.theme": "system",
  "chat.temperature": 0.7,
  "chat.maxTokens": 512,
  "chat.seed": null,
  "chat.topP": 0.95,
  "chat.topK": 40,
  "chat.minP": 0.05,
  "chat.repeatPenalty": 1.1,
  "chat.systemPrompt": "",
  "runtime.contextSize": 2048,
  "runtime.threads": 0,
  "runtime.kv": kvSettingsDefaults,
  "runtime.memoryLimit": null,
  "library.selectedModelId": null,
  "library.starterDismissed": false,
  "downloads.concurrency": 2,
  "downloads.hubUrl": "https://huggingface.co",
  "evaluate.cacheBytes": 2 * 2 ** 30,
};

// No defaults here on purpose: a patch must hold only the keys the caller changes.
export const settingsPatchSchema = settingsSchema.partial().strict();
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export const settingsEndpoints = {
  "settings.get": rpc(noParams, settingsSchema),
  "settings.set": rpc(z.object({ patch: settingsPatchSchema }), settingsSchema),
  "settings.changed": signal(noParams, settingsSchema),
};
