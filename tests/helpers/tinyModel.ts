import path from "node:path";
import { writeTinyModel, type TinyModelOptions } from "../../src-main/services/gguf/tinyModel.js";
import { makeTempDir } from "./tempDir.js";

const cache = new Map<string, Promise<string>>();
let folder: ReturnType<typeof makeTempDir> | null = null;

/** A tiny random-weight llama GGUF, written once per test process for each set of options. */
export function tinyModelPath(options: Omit<TinyModelOptions, "path"> = {}): Promise<string> {
  const key = JSON.stringify(options);
  let made = cache.get(key);
  if (made === undefined) {
    folder ??= makeTempDir("lowbit-tiny-");
    const file = path.join(folder.dir, `tiny-${cache.size}.gguf`);
    made = writeTinyModel({ ...options, path: file }).then((model) => model.path);
    cache.set(key, made);
  }
  return made;
}
