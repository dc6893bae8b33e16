/**
 * The referee for the quantize benchmark: llama.cpp's own `llama-quantize`, built out of tree
 * from the llama.cpp source bundled with node-llama-cpp, and run two ways:
 * - native: over the libraries it was built with (`GGML_NATIVE=ON`), llama.cpp at its best here;
 * - prebuilt: the same program over node-llama-cpp's prebuilt libraries (the ones the app and
 *   Lowbit's addon use), which isolates what the addon itself costs.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** Where the out-of-tree build lives (shared with the other benchmarks). */
export const LLAMA_BUILD = process.env.LLAMA_BUILD ?? "/tmp/llama-build";
const SOURCE = "node_modules/node-llama-cpp/llama/llama.cpp";

export type Referee = "native" | "prebuilt";

export interface RefereeRun {
  /** llama_model_quantize's own time, as llama-quantize prints it ("quantize time"). */
  quantizeSeconds: number;
  /** The whole process, start to exit. */
  wallSeconds: number;
}

/**
 * llama-quantize, built if missing: configures the build folder when there is none (the command
 * in docs/benchmarks.md), then builds only this target (about a minute on two cores).
 */
export function ensureLlamaQuantize(): string {
  const binary = path.join(LLAMA_BUILD, "bin", "llama-quantize");
  if (existsSync(binary)) {
    return binary;
  }
  if (!existsSync(path.join(SOURCE, "CMakeLists.txt"))) {
    execFileSync("npx", ["--no", "node-llama-cpp", "source", "download", "--skipBuild"], {
      stdio: "inherit",
    });
  }
  if (!existsSync(path.join(LLAMA_BUILD, "CMakeCache.txt"))) {
    console.error(`configuring llama.cpp in ${LLAMA_BUILD} …`);
    execFileSync(
      "cmake",
      [
        "-S",
        SOURCE,
        "-B",
        LLAMA_BUILD,
        "-DLLAMA_CURL=OFF",
        "-DGGML_NATIVE=ON",
        "-DCMAKE_BUILD_TYPE=Release",
      ],
      { stdio: "inherit" },
    );
  }
  console.error(`building llama-quantize in ${LLAMA_BUILD} …`);
  execFileSync("cmake", ["--build", LLAMA_BUILD, "--target", "llama-quantize", "-j2"], {
    stdio: "inherit",
  });
  return binary;
}

/** node-llama-cpp's prebuilt libraries under the names llama-quantize was linked with. */
function prebuiltLibraryDir(): string {
  const require = createRequire(createRequire(import.meta.url).resolve("node-llama-cpp"));
  const main = require.resolve("@node-llama-cpp/linux-x64");
  const root = main.slice(0, main.lastIndexOf(`${path.sep}@node-llama-cpp${path.sep}linux-x64`));
  const bins = path.join(root, "@node-llama-cpp", "linux-x64", "bins", "linux-x64");
  const dir = path.join(LLAMA_BUILD, "prebuilt-libs-quantize");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(bins).filter((f) => f.endsWith(".so"))) {
    symlinkSync(path.join(bins, file), path.join(dir, file));
  }
  const alias: Record<string, string> = {
    "libllama.so.0": "libllama.v0.4.0.so",
    "libggml.so.0": "libggml.v0.4.0.so",
    "libggml-base.so.0": "libggml-base.so",
    "libllama-common.so.0": "libllama-common.so",
    "libggml-cpu.so.0": "libggml-cpu-x64.so",
  };
  for (const [name, target] of Object.entries(alias)) {
    symlinkSync(path.join(dir, target), path.join(dir, name));
  }
  return dir;
}

let prebuiltDir: string | null = null;

/** One llama-quantize run: `input` → `output` at `level` with `threads`, optionally calibrated. */
export function llamaQuantize(
  referee: Referee,
  args: { input: string; output: string; level: string; threads: number; imatrix?: string },
): RefereeRun {
  const binary = ensureLlamaQuantize();
  const env = { ...process.env };
  if (referee === "prebuilt") {
    prebuiltDir ??= prebuiltLibraryDir();
    env.LD_LIBRARY_PATH = prebuiltDir;
  }
  const started = performance.now();
  const run = spawnSync(
    binary,
    [
      ...(args.imatrix === undefined ? [] : ["--imatrix", args.imatrix]),
      args.input,
      args.output,
      args.level,
      String(args.threads),
    ],
    { env, encoding: "utf8", maxBuffer: 64 * 2 ** 20 },
  );
  const wallSeconds = (performance.now() - started) / 1000;
  if (run.status !== 0) {
    throw new Error(`llama-quantize (${referee}) failed: ${run.stderr.slice(-800)}`);
  }
  const match = /quantize time =\s*([\d.]+) ms/.exec(run.stdout);
  if (match === null) {
    throw new Error(`llama-quantize printed no quantize time:\n${run.stdout.slice(-400)}`);
  }
  return { quantizeSeconds: Number(match[1]) / 1000, wallSeconds };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
