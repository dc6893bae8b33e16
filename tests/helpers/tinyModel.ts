import { makeTempDir } from "./tempDir.js";
import { makeTinyModel, type TinyModelRequest } from "./tinyModels.js";

let folder: ReturnType<typeof makeTempDir> | null = null;

/** A tiny random-weight llama GGUF in this process's scratch folder (see makeTinyModel). */
export function tinyModelPath(options: TinyModelRequest = {}): Promise<string> {
  folder ??= makeTempDir("lowbit-tiny-");
  return makeTinyModel(folder.dir, options);
}
