import type { ChatWrapper, Llama, LlamaModel } from "node-llama-cpp";
import type { KvGeometry } from "./kvGeometry.js";
import type { LiveContext } from "./liveContext.js";
import type { LlamaLog } from "./llamaLog.js";

/** A model loaded in the worker with its one live context. */
export interface LoadedModel {
  model: LlamaModel;
  modelPath: string;
  geometry: KvGeometry | null;
  wrapper: ChatWrapper;
  live: LiveContext;
  threads: number;
  /** Tokens in the vocabulary: bounds how many full distributions the quality probe holds. */
  vocabSize: number;
  flashAttentionSupported: boolean;
  /** Where the weights live, from node-llama-cpp's estimate for the layers on the GPU. */
  weights: { ramBytes: number; vramBytes: number };
}

/** What the worker's handlers share. */
export interface WorkerState {
  llama(): Promise<Llama>;
  readonly log: LlamaLog;
  loaded: LoadedModel | null;
}
