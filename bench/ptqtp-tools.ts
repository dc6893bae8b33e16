/**
 * llama.cpp's tools built from the same patched source as the Lowbit extended runtime (the
 * bundled llama.cpp after native/patches/extended-build.mjs), out of tree: the PTQTP benchmarks
 * use them as referee and as the measuring tape (llama-bench, llama-perplexity), and to make the
 * files (llama-quantize, llama-imatrix). LOWBIT_LLAMA_SRC / LOWBIT_PTQTP_BUILD override where.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

export const PTQTP_SOURCE =
  process.env.LOWBIT_LLAMA_SRC ?? "node_modules/node-llama-cpp/llama/llama.cpp";
export const PTQTP_BUILD = process.env.LOWBIT_PTQTP_BUILD ?? "/tmp/lowbit-ptqtp-build";

const targets = ["llama-quantize", "llama-bench", "llama-perplexity", "llama-imatrix"] as const;
export type Tool = (typeof targets)[number];

/** Path of a tool, building all of them first if one is missing (about 10 minutes on 2 cores). */
export function ptqtpTool(tool: Tool): string {
  const binary = path.join(PTQTP_BUILD, "bin", tool);
  if (existsSync(binary)) {
    return binary;
  }
  if (!existsSync(path.join(PTQTP_SOURCE, "ggml", "src", "ggml-lowbit", "ptqtp.h"))) {
    throw new Error(
      `${PTQTP_SOURCE} is not the patched source: run node native/patches/extended-build.mjs first`,
    );
  }
  if (!existsSync(path.join(PTQTP_BUILD, "CMakeCache.txt"))) {
    execFileSync(
      "cmake",
      [
        "-S",
        PTQTP_SOURCE,
        "-B",
        PTQTP_BUILD,
        "-DCMAKE_BUILD_TYPE=Release",
        "-DGGML_NATIVE=ON",
        "-DLLAMA_CURL=OFF",
        "-DLLAMA_HTTPLIB=OFF",
        "-DLLAMA_OPENSSL=OFF",
        "-DLLAMA_BUILD_TESTS=OFF",
        "-DLLAMA_BUILD_EXAMPLES=OFF",
        "-DLLAMA_BUILD_SERVER=OFF",
      ],
      { stdio: "inherit" },
    );
  }
  console.error(`building ${targets.join(", ")} into ${PTQTP_BUILD} …`);
  execFileSync("cmake", ["--build", PTQTP_BUILD, "--parallel", "2", "--target", ...targets], {
    stdio: "inherit",
  });
  return binary;
}

/** Runs llama-quantize; returns its own quantize time in seconds (it prints it in ms). */
export function quantizeWith(
  input: string,
  output: string,
  level: string,
  options: { threads: number; imatrix?: string },
): { seconds: number; log: string } {
  const args = [
    ...(options.imatrix === undefined ? [] : ["--imatrix", options.imatrix]),
    input,
    output,
    level,
    String(options.threads),
  ];
  const run = spawnSync(ptqtpTool("llama-quantize"), args, {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const log = `${run.stdout}${run.stderr}`;
  if (run.status !== 0) {
    throw new Error(`llama-quantize ${level} failed: ${log.slice(-1500)}`);
  }
  const ms = /quantize time =\s*([\d.]+) ms/.exec(log);
  return { seconds: ms === null ? Number.NaN : Number(ms[1]) / 1000, log };
}
