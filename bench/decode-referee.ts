/**
 * The referee for the KV and decode benchmarks: llama.cpp's own `llama-bench`, built from the
 * llama.cpp source bundled with node-llama-cpp, run in the same process tree as the app's
 * measurement. Two builds of it:
 * - native: built here (`GGML_NATIVE=ON`, OpenMP), llama.cpp at its best on this machine;
 * - prebuilt: the same llama-bench, run over node-llama-cpp's prebuilt libraries (the very
 *   kernels the app runs, CPU variant picked at run time), which isolates the app's overhead.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

export const LLAMA_BUILD = process.env.LLAMA_BUILD ?? "/tmp/llama-build";
const SOURCE = "node_modules/node-llama-cpp/llama/llama.cpp";

export type Referee = "native" | "prebuilt";

export interface BenchRow {
  typeK: string;
  typeV: string;
  nPrompt: number;
  nGen: number;
  /** Tokens per second, mean over the repetitions. */
  tps: number;
  stddev: number;
  samples: number[];
}

/** Builds llama-bench out of tree if it is missing (a few minutes on two cores). */
export function ensureLlamaBench(): string {
  const binary = path.join(LLAMA_BUILD, "bin", "llama-bench");
  if (existsSync(binary)) {
    return binary;
  }
  if (!existsSync(path.join(SOURCE, "CMakeLists.txt"))) {
    execFileSync("npx", ["--no", "node-llama-cpp", "source", "download", "--skipBuild"], {
      stdio: "inherit",
    });
  }
  console.error(`building llama-bench into ${LLAMA_BUILD} …`);
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
  execFileSync("cmake", ["--build", LLAMA_BUILD, "--target", "llama-bench", "-j2"], {
    stdio: "inherit",
  });
  return binary;
}

/** node-llama-cpp's prebuilt CPU libraries, named the way llama-bench links them. */
function prebuiltLibraryDir(): string {
  // Resolved from node-llama-cpp itself: the binaries package is its (optional) dependency.
  const require = createRequire(createRequire(import.meta.url).resolve("node-llama-cpp"));
  const main = require.resolve("@node-llama-cpp/linux-x64");
  const pkg = main.slice(0, main.lastIndexOf(`${path.sep}@node-llama-cpp${path.sep}linux-x64`));
  const bins = path.join(pkg, "@node-llama-cpp", "linux-x64", "bins", "linux-x64");
  const dir = path.join(LLAMA_BUILD, "prebuilt-libs");
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
    // Only to satisfy the linker: libggml loads the best CPU variant itself, as in the app.
    "libggml-cpu.so.0": "libggml-cpu-x64.so",
  };
  for (const [name, target] of Object.entries(alias)) {
    symlinkSync(path.join(dir, target), path.join(dir, name));
  }
  return dir;
}

let prebuiltDir: string | null = null;

/** Runs llama-bench once per KV pair; `args` are extra flags (e.g. -p 0 -n 128). */
export function llamaBench(
  referee: Referee,
  model: string,
  pairs: ReadonlyArray<readonly [string, string]>,
  args: string[],
): BenchRow[] {
  const binary = ensureLlamaBench();
  const env = { ...process.env };
  if (referee === "prebuilt") {
    prebuiltDir ??= prebuiltLibraryDir();
    env.LD_LIBRARY_PATH = prebuiltDir;
  }
  const rows: BenchRow[] = [];
  for (const [k, v] of pairs) {
    const run = spawnSync(
      binary,
      ["-m", model, "-ctk", k, "-ctv", v, "-fa", "on", "-o", "jsonl", ...args],
      // ggml looks for its CPU variants next to the program and in the working folder.
      {
        env,
        cwd: referee === "prebuilt" ? prebuiltDir! : process.cwd(),
        encoding: "utf8",
        maxBuffer: 16 * 2 ** 20,
      },
    );
    if (run.status !== 0) {
      throw new Error(`llama-bench (${referee}) failed: ${run.stderr.slice(-800)}`);
    }
    for (const line of run.stdout.split("\n").filter((l) => l.startsWith("{"))) {
      const row = JSON.parse(line) as Record<string, unknown>;
      rows.push({
        typeK: String(row.type_k),
        typeV: String(row.type_v),
        nPrompt: Number(row.n_prompt),
        nGen: Number(row.n_gen),
        tps: Number(row.avg_ts),
        stddev: Number(row.stddev_ts),
        samples: (row.samples_ts as number[]) ?? [],
      });
    }
  }
  return rows;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One line about the machine, with its load: the numbers are only as quiet as it was. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  const [load] = os.loadavg();
  return `${cpu}, ${os.availableParallelism()} cores, load average ${load?.toFixed(2)}`;
}
