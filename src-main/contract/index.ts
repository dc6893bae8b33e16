/**
 * The app contract: every endpoint the renderer, the CLI and tests can reach, defined once with
 * zod. Pure: no Node, DOM or Electron imports, so the renderer imports it too.
 */
import { appEndpoints } from "./endpoints/app.js";
import { capabilitiesEndpoints } from "./endpoints/capabilities.js";
import { chatEndpoints } from "./endpoints/chat.js";
import { compressEndpoints } from "./endpoints/compress.js";
import { downloadsEndpoints } from "./endpoints/downloads.js";
import { evaluateEndpoints } from "./endpoints/evaluate.js";
import { jobsEndpoints } from "./endpoints/jobs.js";
import { kvEndpoints } from "./endpoints/kv.js";
import { modelsEndpoints } from "./endpoints/models.js";
import { runtimeEndpoints } from "./endpoints/runtime.js";
import { settingsEndpoints } from "./endpoints/settings.js";

export const appContract = {
  ...appEndpoints,
  ...modelsEndpoints,
  ...chatEndpoints,
  ...runtimeEndpoints,
  ...kvEndpoints,
  ...settingsEndpoints,
  ...jobsEndpoints,
  ...downloadsEndpoints,
  ...compressEndpoints,
  ...evaluateEndpoints,
  ...capabilitiesEndpoints,
};
export type AppContract = typeof appContract;

export * from "./endpoint.js";
export * from "./errors.js";
export * from "./pareto.js";
export * from "./wire.js";
export * from "./endpoints/app.js";
export * from "./endpoints/capabilities.js";
export * from "./endpoints/chat.js";
export * from "./endpoints/compress.js";
export * from "./endpoints/downloads.js";
export * from "./endpoints/evaluate.js";
export * from "./endpoints/jobs.js";
export * from "./endpoints/kv.js";
export * from "./endpoints/models.js";
export * from "./endpoints/runtime.js";
export * from "./endpoints/settings.js";
