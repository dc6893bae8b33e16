import type {
  AppErrorData,
  KvApplyProgress,
  KvApplyResult,
  KvCapabilities,
  KvSettings,
  MemorySnapshot,
} from "@contract";
import { kvService } from "../services/kv";
import { errorData } from "../utils/errors";
import { chat } from "./chat.svelte";
import { runtime } from "./runtime.svelte";
import { settings } from "./settings.svelte";

/**
 * The KV panel's state: what the backend allows, the saved settings, a change being applied
 * (with its progress), the last change's before/after and quality check, and the memory
 * snapshots the model process pushes. A change applies at once: the server rebuilds the
 * context and reads the open conversation back in; on failure the previous settings stay.
 */
class KvStore {
  capabilities = $state.raw<KvCapabilities | null>(null);
  memory = $state.raw<MemorySnapshot | null>(null);
  applying = $state.raw<KvApplyProgress | null>(null);
  result = $state.raw<KvApplyResult | null>(null);
  error = $state.raw<AppErrorData | null>(null);
  private stopMemory: (() => void) | null = null;
  private capabilitiesFor: string | null | undefined = undefined;

  /** The saved settings (what the next load or the loaded context uses). */
  saved: KvSettings | null = $derived(settings.values?.["runtime.kv"] ?? null);
  contextSize: number | null = $derived(settings.values?.["runtime.contextSize"] ?? null);

  init(): void {
    this.stopMemory ??= kvService.watchMemory((snapshot) => {
      this.memory = snapshot;
    });
  }

  /** Fetches the choices for the loaded (or selected) model when it changed. */
  async refreshCapabilities(modelId: string | null): Promise<void> {
    if (this.capabilitiesFor === modelId && this.capabilities !== null) {
      return;
    }
    this.capabilitiesFor = modelId;
    try {
      this.capabilities = await kvService.capabilities(modelId ?? undefined);
    } catch (error) {
      this.error = errorData(error);
    }
  }

  /** Why a change cannot be applied right now, or null. */
  get blocked(): string | null {
    if (this.applying !== null) {
      return "A change is being applied.";
    }
    if (chat.generation !== null || runtime.state.status === "generating") {
      return "Stop the reply first: the cache is in use.";
    }
    if (runtime.state.status === "loading") {
      return "The model is loading.";
    }
    return null;
  }

  async apply(kv: KvSettings, contextSize: number): Promise<boolean> {
    if (this.blocked !== null) {
      return false;
    }
    this.error = null;
    this.applying = { phase: "rebuilding", fraction: 0, tokens: 0, totalTokens: 0 };
    try {
      this.result = await kvService.apply(
        { conversationId: chat.activeId, kv, contextSize },
        { onProgress: (packet) => (this.applying = packet) },
      );
      return true;
    } catch (error) {
      this.error = errorData(error);
      return false;
    } finally {
      this.applying = null;
    }
  }

  /** One click back to the settings before the last change. */
  async revert(): Promise<void> {
    const previous = this.result?.previous;
    if (previous !== undefined && (await this.apply(previous.kv, previous.contextSize))) {
      this.result = null;
    }
  }

  dismissResult(): void {
    this.result = null;
  }
}

export const kv = new KvStore();
