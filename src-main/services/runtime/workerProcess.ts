import { fork } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Transport } from "../../rpc/transport.js";
import { childProcessTransport } from "./processTransport.js";

export interface WorkerExit {
  code: number | null;
  signal: string | null;
}

/** A running model worker process, however it was started. */
export interface WorkerHandle {
  readonly transport: Transport;
  /** The last lines the worker wrote to stderr: llama.cpp prints its assertion there before aborting. */
  stderrTail(): string;
  onExit(listener: (exit: WorkerExit) => void): void;
  kill(): void;
}

/** Starts a worker. The host and the CLI fork Node; Electron injects a utilityProcess spawner. */
export type WorkerSpawner = () => WorkerHandle;

const TAIL_BYTES = 8192;

/** Keeps the end of a stream, for crash reports. */
export class TailBuffer {
  private text = "";

  push(chunk: string): void {
    this.text = (this.text + chunk).slice(-TAIL_BYTES);
  }

  toString(): string {
    return this.text;
  }
}

/** The worker entry next to this file: compiled JS in builds, TypeScript under the test runner. */
export function workerEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const isSource = here.endsWith(".ts");
  const file = here.replace(/workerProcess\.(ts|js)$/, `modelWorkerMain.${isSource ? "ts" : "js"}`);
  if (!existsSync(file)) {
    throw new Error(`The model worker entry is missing: ${file}. Run npm run build.`);
  }
  return { file, execArgv: isSource ? ["--import", "tsx"] : [] };
}

export const spawnNodeWorker: WorkerSpawner = () => {
  const entry = workerEntry();
  const child = fork(entry.file, [], {
    execArgv: entry.execArgv,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    env: { ...process.env, LOWBIT_WORKER: "1" },
  });
  const tail = new TailBuffer();
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    tail.push(chunk);
    if (process.env.LOWBIT_WORKER_LOG === "1") {
      process.stderr.write(chunk);
    }
  });
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => tail.push(chunk));
  const exitListeners: Array<(exit: WorkerExit) => void> = [];
  let exited: WorkerExit | null = null;
  // "close", not "exit": by then stderr is fully read, so the crash report has llama.cpp's last words.
  child.on("close", (code, signal) => {
    exited = { code, signal };
    for (const listener of exitListeners) {
      listener(exited);
    }
  });
  return {
    transport: childProcessTransport(child),
    stderrTail: () => tail.toString(),
    onExit: (listener) => {
      if (exited !== null) {
        listener(exited);
      } else {
        exitListeners.push(listener);
      }
    },
    kill: () => {
      if (exited === null) {
        child.kill("SIGKILL");
      }
    },
  };
};

/** One line that explains a crash, from the worker's last output and how it ended. */
export function describeCrash(stderr: string, exit: WorkerExit | null): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("[worker]"));
  const telling =
    [...lines].reverse().find((line) => /GGML_ASSERT|error|failed|terminate|abort/i.test(line)) ??
    lines.at(-1);
  const how =
    exit === null
      ? "it stopped answering"
      : exit.signal !== null
        ? `it was killed by ${exit.signal}`
        : `it exited with code ${exit.code}`;
  const detail =
    telling === undefined
      ? ""
      : `${telling.replace(/^\[llama\.cpp\]\s*/, "").slice(0, 300)} (${how})`;
  return detail === "" ? how : detail;
}
