import { createHash } from "node:crypto";
import { join } from "node:path";
import { writeTinyModel, type TinyModelOptions } from "../../src-main/services/gguf/index.js";

/** Options of writeTinyModel except where it goes. */
export type TinyModelRequest = Omit<TinyModelOptions, "path">;

const made = new Map<string, Promise<string>>();

/**
 * The path of a tiny random-weight llama GGUF in `dir`, written on first request and shared by
 * later requests with the same options in this process (the options fix the bytes, seed included).
 * The file name includes the process id, so test workers sharing a folder never write one file.
 */
export function makeTinyModel(dir: string, options: TinyModelRequest = {}): Promise<string> {
  const key = JSON.stringify([dir, Object.entries(options).sort(([a], [b]) => a.localeCompare(b))]);
  let path = made.get(key);
  if (path === undefined) {
    const hash = createHash("sha256").update(key).digest("hex").slice(0, 12);
    const target = join(dir, `tiny-${process.pid}-${hash}.gguf`);
    path = writeTinyModel({ ...options, path: target }).then((m) => m.path);
    // A failed write must not poison the cache for the next caller.
    path.catch(() => made.delete(key));
    made.set(key, path);
  }
  return path;
}
