import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { AppError } from "../../contract/index.js";
import { packageRoot } from "../config/paths.js";
import type { LowbitAddon } from "./AddonTypes.js";

/** What native/addon/build.mjs recorded about the libraries it linked. */
export interface AddonLinkInfo {
  libDir: string;
  buildType: "localBuild" | "prebuilt";
  gpu: string | false;
  llamaCppRelease: string;
}

let cached: LowbitAddon | null = null;
let allowedHere = false;

/**
 * Marks this process as a model worker (its entry serves the worker contract), however it was
 * started: a Node child process or an Electron utility process.
 */
export function allowAddonInThisProcess(): void {
  allowedHere = true;
}

/** Where the set-up step puts the addon; LOWBIT_ADDON overrides it (packaged apps). */
export function addonPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOWBIT_ADDON !== undefined && env.LOWBIT_ADDON !== "") {
    return path.resolve(env.LOWBIT_ADDON);
  }
  return path.join(packageRoot(), "native", "addon", "build", "Release", "lowbit_addon.node");
}

/**
 * Loads the native addon. Call it only in the model worker process: the app's own process
 * must never hold native model code. Missing or unloadable addons become an AppError that says
 * how to build it.
 */
export function loadAddon(): LowbitAddon {
  const env = process.env;
  if (!allowedHere && env.LOWBIT_WORKER !== "1" && env.LOWBIT_ALLOW_ADDON_IN_PROCESS !== "1") {
    throw new Error("The native addon loads only in the model worker process.");
  }
  if (cached !== null) {
    return cached;
  }
  const file = addonPath();
  if (!existsSync(file)) {
    throw new AppError(
      "unsupported",
      "Compression needs Lowbit's native addon, which is not built.",
      "Run `npm run build:addon` (or `npm install`) in Lowbit's folder; it needs a C++ compiler.",
    );
  }
  try {
    cached = createRequire(import.meta.url)(file) as LowbitAddon;
    return cached;
  } catch (error) {
    throw new AppError(
      "unsupported",
      `Lowbit's native addon does not load: ${(error as Error).message.split("\n")[0]}`,
      "The llama.cpp libraries it was built against moved or changed; run `npm run build:addon`.",
    );
  }
}

/** The link record next to the addon, or null when the addon was not built here. */
export function addonLinkInfo(): AddonLinkInfo | null {
  const file = path.join(path.dirname(path.dirname(addonPath())), "llama-link.json");
  try {
    return JSON.parse(readFileSync(file, "utf8")) as AddonLinkInfo;
  } catch {
    return null;
  }
}
