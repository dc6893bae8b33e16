import {
  AppError,
  type DownloadProgress,
  type DownloadRecord,
  type Model,
  type PulledModel,
} from "../../contract/index.js";
import type { SignalSource } from "../../rpc/signal.js";

export interface FollowSource {
  changed: SignalSource<DownloadRecord[]>;
  records(): DownloadRecord[];
  /** True when this process runs the download (so its changes arrive without asking). */
  isLocal(id: string): boolean;
  /** Re-reads the database and publishes: how another process's progress reaches this one. */
  refresh(): void;
  cancel(id: string): Promise<unknown>;
  model(id: string): Model;
}

/**
 * Follows download `id` to its end: progress packets as it goes, the verified model when it is
 * done, its error when it fails, a "paused" error when it is paused. Aborting `signal` cancels
 * the download.
 */
export function followDownload(
  source: FollowSource,
  id: string,
  options: { signal?: AbortSignal; onProgress?: (packet: DownloadProgress) => void } = {},
): Promise<PulledModel> {
  return new Promise<PulledModel>((resolve, reject) => {
    let settled = false;
    const finish = (action: () => void): void => {
      if (settled) {
        return;
      }
      settled = true;
      unsubscribe();
      clearInterval(poll);
      options.signal?.removeEventListener("abort", onAbort);
      action();
    };
    const onRecords = (records: DownloadRecord[]): void => {
      const record = records.find((r) => r.id === id);
      if (record === undefined) {
        finish(() => reject(new AppError("not_found", "The download was removed from the list.")));
        return;
      }
      try {
        options.onProgress?.(toProgress(record));
      } catch {
        // A broken progress callback must not stop the download.
      }
      if (record.state === "done" && record.modelId !== null) {
        const model = source.model(record.modelId);
        finish(() => resolve({ ...model, verified: true, checksum: record.checksum }));
      } else if (record.state === "failed") {
        const error = record.error ?? {
          code: "internal" as const,
          message: "The download failed.",
        };
        finish(() => reject(AppError.fromData(error)));
      } else if (record.state === "cancelled") {
        finish(() => reject(new AppError("cancelled", "Cancelled.")));
      } else if (record.state === "paused" && !source.isLocal(id)) {
        finish(() =>
          reject(
            new AppError(
              "cancelled",
              `The download of ${record.title} was paused.`,
              "Resume it to continue; the data received so far is kept.",
            ),
          ),
        );
      }
    };
    const onAbort = (): void => {
      void source.cancel(id).catch(() => undefined);
      finish(() => reject(new AppError("cancelled", "Cancelled.")));
    };
    const unsubscribe = source.changed.subscribe(onRecords);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    // Another process may be running it: its progress reaches this one through the database.
    const poll = setInterval(() => {
      if (!source.isLocal(id)) {
        source.refresh();
      }
    }, 500);
    poll.unref();
    onRecords(source.records());
  });
}

export function toProgress(record: DownloadRecord): DownloadProgress {
  return {
    id: record.id,
    phase: record.state,
    fraction: record.fraction,
    bytes: record.receivedBytes,
    totalBytes: record.totalBytes,
    bytesPerSecond: record.bytesPerSecond,
    etaSeconds: record.etaSeconds,
    retryInSeconds: record.retryInSeconds,
    detail: record.detail,
  };
}
