/**
 * Public TypeScript API of the starter-model recipe, for the app, benchmarks and tests.
 *
 *   import { brownSplitPaths, ensureBrownData, starterModelPath } from "../tools/starter-model/index.js";
 *   const { eval: evalTxt, calib: calibTxt } = ensureBrownData().paths;
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

import {
  REPO_ROOT,
  brownSplitPaths,
  prepareBrownData,
  type PrepareResult,
} from "./prepare-data.js";

export {
  REPO_ROOT,
  DEFAULT_DATA_DIR,
  brownSplitPaths,
  prepareBrownData,
  readSplitsLock,
  type BrownManifest,
  type BrownSplitPaths,
  type SplitName,
} from "./prepare-data.js";
export { BpeTokenizer, preTokenize } from "./tokenizer/bpe.js";

export interface StarterModelInfo {
  file: string;
  name: string;
  architecture: string;
  params: number;
  contextLength: number;
  heldOutPerplexity: { llamaPerplexity: number; trainScript: number; command: string };
}

export const STARTER_MODEL_INFO_PATH = join(REPO_ROOT, "tools", "starter-model", "model.json");

export function starterModelInfo(): StarterModelInfo {
  return JSON.parse(readFileSync(STARTER_MODEL_INFO_PATH, "utf8")) as StarterModelInfo;
}

/** Absolute path of the bundled starter GGUF (resources/models/lowbit-starter-*.gguf). */
export function starterModelPath(): string {
  return join(REPO_ROOT, starterModelInfo().file);
}

/** The Brown splits, derived now if the set-up step has not run (idempotent, ~1 s). */
export function ensureBrownData(): Pick<PrepareResult, "paths"> {
  const paths = brownSplitPaths();
  if (
    existsSync(paths.manifest) &&
    existsSync(paths.eval) &&
    existsSync(paths.calib) &&
    existsSync(paths.train)
  ) {
    return { paths };
  }
  return prepareBrownData();
}
