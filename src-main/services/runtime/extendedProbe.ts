import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ExtendedRuntimeStatus } from "./extendedRuntime.js";

/** How long the probe may take: node-llama-cpp tests its binary in a subprocess first. */
const PROBE_TIMEOUT_MS = 60_000;

/**
 * Checks once per app run which llama.cpp node-llama-cpp loads here (extendedProbeMain in a
 * process of its own) and keeps the answer. A probe that fails says so as the reason: the app
 * then treats the extended runtime as missing, and never crashes over it.
 */
export class ExtendedRuntimeProbe {
  private pending: Promise<ExtendedRuntimeStatus> | null = null;

  status(): Promise<ExtendedRuntimeStatus> {
    return (this.pending ??= runProbe());
  }
}

function probeEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const isSource = here.endsWith(".ts");
  const file = here.replace(
    /extendedProbe\.(ts|js)$/,
    `extendedProbeMain.${isSource ? "ts" : "js"}`,
  );
  return { file, execArgv: isSource ? ["--import", "tsx"] : [] };
}

function runProbe(): Promise<ExtendedRuntimeStatus> {
  const entry = probeEntry();
  const failed = (why: string): ExtendedRuntimeStatus => ({
    available: false,
    buildType: "prebuilt",
    types: [],
    reason: `Lowbit could not check its llama.cpp runtime: ${why}`,
    hint: "Run `npm install` in Lowbit's folder to rebuild it.",
  });
  if (!existsSync(entry.file)) {
    return Promise.resolve(failed(`${entry.file} is missing (run npm run build)`));
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...entry.execArgv, entry.file],
      { timeout: PROBE_TIMEOUT_MS, env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" } },
      (error, stdout, stderr) => {
        const line = stdout.trim().split("\n").at(-1) ?? "";
        try {
          resolve(JSON.parse(line) as ExtendedRuntimeStatus);
        } catch {
          const detail = (stderr.trim().split("\n").at(-1) ?? error?.message ?? "no answer").slice(
            0,
            300,
          );
          resolve(failed(detail));
        }
      },
    );
  });
}
