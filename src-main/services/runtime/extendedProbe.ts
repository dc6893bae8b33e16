import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AppError } from "../../contract/index.js";
import { extensionGgmlTypeIds } from "../gguf/ggmlTypes.js";
import { readGgufFile } from "../gguf/ggufReader.js";
import { needsExtendedRuntime, type ExtendedRuntimeStatus } from "./extendedRuntime.js";

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

/**
 * When llama.cpp refused a model stored in Lowbit's own types because the extended runtime is not
 * loaded, the error that says so; null when the file has none of our types or the runtime has
 * them (then the refusal had another cause).
 */
export async function explainRefusedModel(
  model: { name: string; path: string },
  status: () => Promise<ExtendedRuntimeStatus> = () => new ExtendedRuntimeProbe().status(),
): Promise<AppError | null> {
  const file = await readGgufFile(model.path).catch(() => null);
  const ours = file?.tensors.filter((t) => extensionGgmlTypeIds.has(t.type.id)) ?? [];
  if (ours.length === 0) {
    return null;
  }
  const runtime = await status();
  if (runtime.available) {
    return null;
  }
  const types = [...new Set(ours.map((t) => t.type.name))].join(", ");
  return new AppError(
    "unsupported",
    needsExtendedRuntime(`${model.name} (stored as ${types}, Lowbit's own type)`, runtime),
    runtime.hint,
  );
}
