import type { Model } from "@contract";
import { client } from "../../api";

export interface ImportProgress {
  phase: "checking" | "copying" | "hashing" | "registering";
  fraction: number;
  bytes?: number | undefined;
  totalBytes?: number | undefined;
}

/** The model library: list and watch, import (a job), rename, remove. */
export const modelsService = {
  list(): Promise<Model[]> {
    return client().call("models.list", {});
  },
  /** The whole library now and after every change, from any window or the CLI. */
  watch(listener: (models: Model[]) => void): () => void {
    return client().subscribe("models.changed", {}, listener);
  },
  import(
    params: { path: string; link: boolean },
    onProgress: (packet: ImportProgress) => void,
    signal: AbortSignal,
  ): Promise<Model> {
    return client().job("models.import", params, { onProgress, signal });
  },
  rename(id: string, name: string): Promise<Model> {
    return client().call("models.rename", { id, name });
  },
  remove(id: string): Promise<{ removed: boolean; fileDeleted: boolean }> {
    return client().call("models.remove", { id, deleteFile: true });
  },
};
