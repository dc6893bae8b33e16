import type { DownloadRecord, DownloadState } from "../../contract/index.js";
import type { StoredDownload } from "../storage/queries/downloads.js";
import { RateMeter } from "./rateMeter.js";

/** What this process knows about a download it is running, beyond its row. */
export interface LiveDownload {
  phase: Extract<DownloadState, "connecting" | "downloading" | "retrying" | "verifying">;
  detail: string | null;
  retryAt: number | null;
  /** Bytes received per part, ahead of what the row says. */
  received: Map<number, number>;
  meter: RateMeter;
}

/** A row plus, when this process runs it, its live state: what the UI and the CLI show. */
export function toRecord(
  stored: StoredDownload,
  live: LiveDownload | undefined,
  now = Date.now(),
): DownloadRecord {
  const files = stored.files.map((f) => ({
    fileName: f.fileName,
    url: f.url,
    sizeBytes: f.sizeBytes,
    receivedBytes: f.complete
      ? (f.sizeBytes ?? f.receivedBytes)
      : (live?.received.get(f.part) ?? f.receivedBytes),
    sha256: f.expectedSha256,
    complete: f.complete,
  }));
  const receivedBytes = files.reduce((sum, f) => sum + f.receivedBytes, 0);
  const sizes = files.map((f) => f.sizeBytes);
  const totalBytes = sizes.every((s) => s !== null) ? sizes.reduce((a, b) => a + b, 0) : null;
  const state: DownloadState =
    live !== undefined ? live.phase : stored.state === "running" ? "downloading" : stored.state;
  const fraction =
    state === "done"
      ? 1
      : totalBytes === null || totalBytes === 0
        ? null
        : receivedBytes / totalBytes;
  const rate = live?.phase === "downloading" ? live.meter.rate(now) : null;
  const remaining = totalBytes === null ? null : Math.max(0, totalBytes - receivedBytes);
  return {
    id: stored.id,
    source: stored.source,
    title: stored.title,
    name: stored.name,
    state,
    detail:
      live !== undefined
        ? live.detail
        : stored.state === "running"
          ? "downloading in another Lowbit process"
          : null,
    receivedBytes,
    totalBytes,
    fraction: fraction === null ? null : Math.min(1, fraction),
    bytesPerSecond: rate,
    etaSeconds: rate !== null && rate > 0 && remaining !== null ? remaining / rate : null,
    retryInSeconds:
      live?.phase === "retrying" && live.retryAt !== null
        ? Math.max(0, Math.ceil((live.retryAt - now) / 1000))
        : null,
    checksum: stored.checksum,
    files,
    modelId: stored.modelId,
    error: stored.error,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}
