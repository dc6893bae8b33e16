import type {
  KvApplyProgress,
  KvApplyResult,
  KvCapabilities,
  KvSettings,
  MemoryEstimate,
  MemorySnapshot,
} from "@contract";
import { client } from "../../api";

/** KV-cache controls and the model process's memory, on the server. */
export const kvService = {
  capabilities(modelId?: string): Promise<KvCapabilities> {
    return client().call("kv.capabilities", modelId === undefined ? {} : { modelId });
  },
  /** Rebuilds the loaded context with `kv` and reads `conversationId` back in. */
  apply(
    params: { conversationId: string | null; kv: KvSettings; contextSize: number },
    options: { onProgress: (packet: KvApplyProgress) => void; signal?: AbortSignal },
  ): Promise<KvApplyResult> {
    return client().job("kv.apply", params, options);
  },
  /** What loading `modelId` with the saved (or given) context and KV types would take. */
  estimate(modelId: string, kv?: KvSettings, contextSize?: number): Promise<MemoryEstimate> {
    return client().call("runtime.estimate", {
      modelId,
      ...(kv === undefined ? {} : { kv }),
      ...(contextSize === undefined ? {} : { contextSize }),
    });
  },
  /** Calls `listener` now and on every snapshot (≥ 2 Hz while a reply is written). */
  watchMemory(listener: (snapshot: MemorySnapshot | null) => void): () => void {
    return client().subscribe("runtime.memory", {}, listener);
  },
};
