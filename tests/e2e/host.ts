import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

export const root = path.resolve(import.meta.dirname, "../..");
const bin = path.join(root, "bin/lowbit.js");

/** A running `lowbit serve` over a fresh temp home. */
export interface LowbitHost {
  /** The address `serve` printed, with the access token. */
  url: string;
  /** http://127.0.0.1:PORT, without the token. */
  origin: string;
  port: number;
  token: string;
  home: string;
  /**
   * A tiny random-weight llama GGUF, written once per host. Its 2048-token vocabulary makes an
   * early end-of-text less likely than the default 512, so replies usually run long enough to stop.
   */
  tinyModel(): string;
  /** Writes a file next to the home folder and returns its path. */
  writeFile(name: string, contents: string | Uint8Array): string;
}

export interface RunningHost extends LowbitHost {
  /** The `lowbit serve` process. */
  pid: number;
  /** Ends the host and deletes its home; safe to call twice. */
  stop(): Promise<void>;
}

/** The starter model shipped in resources/models, if it exists yet. */
export function starterModelPath(): string | null {
  const dir = path.join(root, "resources/models");
  const file = existsSync(dir)
    ? readdirSync(dir).find((name) => name.endsWith(".gguf"))
    : undefined;
  return file === undefined ? null : path.join(dir, file);
}

/** Starts `lowbit --json serve` over a fresh temp home; `stop()` ends it and deletes the home. */
export async function startHost(): Promise<RunningHost> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lowbit-e2e-"));
  const home = path.join(dir, "home");
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, "--home", home, "--json", "serve", "--no-open", "--port", "0"],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const printed = await new Promise<{ url: string; port: number; token: string }>(
    (resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`lowbit serve did not start:\n${stderr}`)),
        20_000,
      );
      const lines = createInterface({ input: child.stdout! });
      lines.once("line", (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as { url: string; port: number; token: string });
        } catch {
          reject(new Error(`lowbit serve printed something other than JSON: ${line}\n${stderr}`));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`lowbit serve exited with ${code}:\n${stderr}`));
      });
    },
  );
  let tiny: string | null = null;
  return {
    ...printed,
    origin: `http://127.0.0.1:${printed.port}`,
    pid: child.pid ?? 0,
    home,
    tinyModel() {
      if (tiny === null) {
        const out = path.join(dir, "tiny.gguf");
        const made = spawnSync(
          process.execPath,
          [bin, "--home", home, "dev", "tiny-model", "--out", out, "--vocab", "2048"],
          {
            encoding: "utf8",
          },
        );
        if (made.status !== 0) {
          throw new Error(`dev tiny-model failed: ${made.stderr}`);
        }
        tiny = out;
      }
      return tiny;
    },
    writeFile(name, contents) {
      const file = path.join(dir, name);
      writeFileSync(file, contents);
      return file;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
