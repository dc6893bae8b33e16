import os from "node:os";
import type { MemorySnapshot } from "../../contract/index.js";
import { Signal } from "../../rpc/signal.js";
import type { WorkerState } from "./workerState.js";

/** ≥ 2 Hz, as the gauges promise: four snapshots a second while a reply is written. */
export const LIVE_INTERVAL_MS = 250;

/**
 * The worker's memory, as the gauges show it: pushed on every change (load, KV change, unload)
 * and every 250 ms while a reply is being generated.
 */
export class MemoryMonitor {
  readonly snapshots = new Signal<MemorySnapshot | null>(null);
  private live: { tokens: number; decodeTps: number } | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly state: WorkerState) {}

  /** Takes a snapshot now and pushes it. */
  async refresh(): Promise<MemorySnapshot | null> {
    const snapshot = await this.take();
    this.snapshots.set(snapshot);
    return snapshot;
  }

  startLive(): void {
    this.live = { tokens: 0, decodeTps: 0 };
    this.timer ??= setInterval(() => void this.refresh(), LIVE_INTERVAL_MS);
  }

  tick(tokens: number, decodeTps: number): void {
    this.live = { tokens, decodeTps };
  }

  async stopLive(): Promise<void> {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.live = null;
    await this.refresh();
  }

  private async take(): Promise<MemorySnapshot | null> {
    const loaded = this.state.loaded;
    if (loaded === null || loaded.live.context.disposed) {
      return null;
    }
    const { live } = loaded;
    const llama = await this.state.llama();
    const usage = live.context.memoryUsage;
    const vram =
      llama.gpu === false
        ? null
        : await llama.getVramState().then(
            (v) => ({ totalBytes: v.total, usedBytes: v.used, freeBytes: v.free }),
            () => null,
          );
    return {
      at: Date.now(),
      weights: loaded.weights,
      kv: {
        allocatedBytes: live.active.kvBytes,
        usedBytes: live.usedBytes,
        // llama.cpp walks the cache to size its state: never while a decode writes to it.
        stateBytes:
          this.live === null ? live.context.stateSize : (this.snapshots.get()?.kv.stateBytes ?? 0),
        usedTokens: live.sequence.nextTokenIndex,
        contextSize: live.contextSize,
        bytesPerToken: live.active.kvBytesPerToken,
      },
      // node-llama-cpp's figure is llama.cpp's dry-run allocation of this context: KV cache,
      // compute buffers and the output buffer. What is not KV is the graph's scratch memory.
      computeBytes: Math.max(0, usage.ram + usage.vram - live.active.kvBytes),
      rssBytes: process.memoryUsage.rss(),
      system: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
      vram,
      live: this.live,
    };
  }
}
