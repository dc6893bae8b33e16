import type { RuntimeState } from "@contract";
import { runtimeService } from "../services/runtime";
import { toasts } from "./toasts.svelte";

const initial: RuntimeState = {
  status: "empty",
  model: null,
  loadFraction: null,
  contextSize: null,
  threads: null,
  kv: null,
  error: null,
};

/**
 * The model process as the server reports it (`runtime.state` signal): empty, loading (with a
 * fraction), ready, generating, or crashed (with the error and a hint). `load` is the Retry and
 * "Load now" action; its progress arrives through the same signal.
 */
class RuntimeStore {
  state = $state.raw<RuntimeState>(initial);
  /** True while a load started from here is in flight. */
  loading = $state(false);
  private stop: (() => void) | null = null;

  init(): void {
    this.stop?.();
    this.stop = runtimeService.watch((state) => {
      this.state = state;
    });
  }

  /** True when `modelId` is the model in memory, ready or busy with a reply. */
  isLoaded(modelId: string | null): boolean {
    const { status, model } = this.state;
    return (
      model !== null && model.id === modelId && (status === "ready" || status === "generating")
    );
  }

  /** `force`: load even though the memory estimate says it will not fit ("Load anyway"). */
  async load(modelId: string, force = false): Promise<void> {
    if (this.loading) {
      return;
    }
    this.loading = true;
    try {
      await runtimeService.load(modelId, () => undefined, force);
    } catch (error) {
      toasts.error(error);
    } finally {
      this.loading = false;
    }
  }
}

export const runtime = new RuntimeStore();
