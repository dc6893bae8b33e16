import { readFileSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../config/paths.js";
import { extensionGgmlTypeIds, ggmlTypeById } from "../gguf/ggmlTypes.js";

/**
 * Whether the llama.cpp that Lowbit loaded is the Lowbit extended runtime: the bundled source
 * built by the set-up with native/patches (our own ggml types, e.g. PTQTP). Without it Lowbit
 * runs on node-llama-cpp's prebuilt binaries, and levels that need our types are unavailable.
 */
export interface ExtendedRuntimeStatus {
  /** Our types can be quantized, loaded and run. */
  readonly available: boolean;
  readonly buildType: "localBuild" | "prebuilt";
  /** Our types the loaded library knows, by name ("PTQTP1"). */
  readonly types: string[];
  /** Why it is not available, in plain words (absent when available). */
  readonly reason?: string;
  /** What to do about it (absent when available). */
  readonly hint?: string;
}

/** What native/patches/extended-build.mjs recorded about its last run. */
export interface ExtendedBuildOutcome {
  readonly status: "built" | "failed" | "skipped";
  readonly reason?: string;
  readonly hint?: string | null;
  readonly at?: string;
}

/** The loaded ggml's block and type size for a type id; undefined where it does not know it. */
export type GgmlTypeSizes = (id: number) => { blockSize?: number; typeSize?: number };

export const EXTENDED_RUNTIME = "the Lowbit extended runtime";
const REBUILD_HINT =
  "Run `node native/patches/extended-build.mjs` (or `npm install`) in Lowbit's folder; it needs " +
  "a C/C++ compiler and CMake, and takes about 5 minutes.";

/** Where the set-up records the outcome of the extended build. */
export function extendedBuildOutcomePath(root: string = packageRoot()): string {
  return path.join(root, "native", "patches", "build", "outcome.json");
}

export function readExtendedBuildOutcome(
  file = extendedBuildOutcomePath(),
): ExtendedBuildOutcome | null {
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as ExtendedBuildOutcome;
    return typeof value?.status === "string" ? value : null;
  } catch {
    return null;
  }
}

/**
 * Judges the loaded library: it must be a local build, and report every one of our types with
 * the block and type sizes Lowbit's GGUF reader expects.
 */
export function judgeExtendedRuntime(
  buildType: "localBuild" | "prebuilt",
  sizes: GgmlTypeSizes,
  outcome: ExtendedBuildOutcome | null,
): ExtendedRuntimeStatus {
  const known: string[] = [];
  const wrong: string[] = [];
  for (const id of extensionGgmlTypeIds) {
    const ours = ggmlTypeById(id)!;
    const native = sizes(id);
    if (native.blockSize === ours.blockSize && native.typeSize === ours.typeSize) {
      known.push(ours.name);
    } else if (native.blockSize !== undefined && native.blockSize > 0) {
      wrong.push(ours.name);
    }
  }
  if (buildType === "localBuild" && known.length === extensionGgmlTypeIds.size) {
    return { available: true, buildType, types: known };
  }
  return { available: false, buildType, types: known, ...whyNot(buildType, wrong, outcome) };
}

function whyNot(
  buildType: "localBuild" | "prebuilt",
  wrong: readonly string[],
  outcome: ExtendedBuildOutcome | null,
): { reason: string; hint: string } {
  if (wrong.length > 0) {
    return {
      reason: `The loaded llama.cpp has ${wrong.join(", ")} with other sizes than Lowbit expects (an old extended build).`,
      hint: REBUILD_HINT,
    };
  }
  if (buildType === "localBuild") {
    return {
      reason:
        "The loaded llama.cpp is a local build without Lowbit's types (built without its patches).",
      hint: REBUILD_HINT,
    };
  }
  if (outcome?.status === "failed") {
    return {
      reason: `The extended runtime failed to build: ${outcome.reason ?? "see the set-up's output"}`,
      hint: outcome.hint ?? REBUILD_HINT,
    };
  }
  if (outcome?.status === "skipped") {
    return {
      reason: `The extended runtime was not built: ${outcome.reason ?? "skipped"}`,
      hint: REBUILD_HINT,
    };
  }
  return {
    reason: "Lowbit is running on the prebuilt llama.cpp binaries, which lack its own types.",
    hint: REBUILD_HINT,
  };
}

/** The message for a model or level that needs our types when they are missing. */
export function needsExtendedRuntime(what: string, status: ExtendedRuntimeStatus): string {
  return `${what} needs ${EXTENDED_RUNTIME}, which is not loaded: ${status.reason ?? "unknown reason"}`;
}
