import type { RuntimeState } from "@contract";
import { client } from "../../api";

/** The model process: its state (pushed by the server) and explicit loads. */
export const runtimeService = {
  /** Calls `listener` now and on every change; returns unsubscribe. */
  watch(listener: (state: RuntimeState) => void): () => void {
    return client().subscribe("runtime.state", {}, listener);
  },
  load(
    modelId: string,
    onFraction: (fraction: number) => void,
    force = false,
  ): Promise<RuntimeState> {
    return client().job(
      "runtime.load",
      { modelId, force },
      { onProgress: (p) => onFraction(p.fraction) },
    );
  },
};
