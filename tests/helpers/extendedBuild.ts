import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const nlcLlama = path.resolve("node_modules", "node-llama-cpp", "llama");

/** The patched llama.cpp source and the folder with the libraries the extended build made. */
export interface ExtendedBuild {
  source: string;
  libDir: string;
}

/**
 * The Lowbit extended runtime the set-up built (native/patches/extended-build.mjs), or null.
 * LOWBIT_LLAMA_SRC + LOWBIT_GGML_LIB_DIR point at another patched build (an out-of-tree cmake
 * build while developing).
 */
export function findExtendedBuild(): ExtendedBuild | null {
  const env = process.env;
  if (env.LOWBIT_LLAMA_SRC && env.LOWBIT_GGML_LIB_DIR) {
    return { source: env.LOWBIT_LLAMA_SRC, libDir: env.LOWBIT_GGML_LIB_DIR };
  }
  const source = path.join(nlcLlama, "llama.cpp");
  if (!existsSync(path.join(source, "ggml", "src", "ggml-lowbit", "ptqtp.h"))) {
    return null;
  }
  let folder: string;
  try {
    folder = JSON.parse(readFileSync(path.join(nlcLlama, "lastBuild.json"), "utf8")).folderName;
  } catch {
    return null;
  }
  const release = path.join(nlcLlama, "localBuilds", folder, "Release");
  const hasGgml = (dir: string): boolean =>
    existsSync(dir) && readdirSync(dir).some((f) => /^libggml-base\.(so|dylib)/.test(f));
  return hasGgml(release) ? { source, libDir: release } : null;
}

/** CI must run the extended build; elsewhere its tests may skip when it was not built. */
export const extendedBuildRequired = process.env.CI === "true" || process.env.CI === "1";
