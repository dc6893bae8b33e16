import type { DownloadRecord, MemoryFit } from "@contract";
import { sentence } from "../../../utils/errors";
import { formatBytes, formatPercent } from "../../../utils/format";

/** "2 min 5 s left", "about 3 h left". */
export function formatEta(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) {
    return `${s} s left`;
  }
  if (s < 3600) {
    const m = Math.floor(s / 60);
    return `${m} min${s % 60 === 0 || m >= 10 ? "" : ` ${s % 60} s`} left`;
  }
  const h = s / 3600;
  return `about ${h >= 10 ? Math.round(h) : h.toFixed(1)} h left`;
}

/** "1.2 GiB of 2.7 GiB", or "1.2 GiB" while the size is unknown. */
export function formatAmount(record: DownloadRecord): string {
  return record.totalBytes === null
    ? formatBytes(record.receivedBytes)
    : `${formatBytes(record.receivedBytes)} of ${formatBytes(record.totalBytes)}`;
}

/** The status line under a download's progress bar. */
export function statusLine(record: DownloadRecord): string {
  const amount = formatAmount(record);
  const percent = record.fraction === null ? "" : `${formatPercent(record.fraction)} · `;
  switch (record.state) {
    case "queued":
      return record.receivedBytes > 0 ? `Queued · ${amount} kept` : "Queued";
    case "connecting":
      return `Connecting… · ${amount}`;
    case "downloading": {
      const parts = [`${percent}${amount}`];
      if (record.bytesPerSecond !== null) {
        parts.push(`${formatBytes(record.bytesPerSecond)}/s`);
      }
      if (record.etaSeconds !== null) {
        parts.push(formatEta(record.etaSeconds));
      }
      return parts.join(" · ");
    }
    case "retrying":
      return `Retrying in ${record.retryInSeconds ?? 0} s — ${record.detail ?? "the connection failed"} · ${amount}`;
    case "verifying":
      return "Verifying the checksum and the model file…";
    case "paused":
      return `Paused · ${percent}${amount}`;
    case "done":
      return `Ready · ${formatBytes(record.totalBytes ?? record.receivedBytes)}, ${checksumNote(record.checksum)}`;
    case "failed":
      return sentence(record.error?.message ?? "The download failed");
    case "cancelled":
      return "Cancelled · the partial data was deleted";
  }
}

export function stateLabel(state: DownloadRecord["state"]): string {
  const labels: Record<DownloadRecord["state"], string> = {
    queued: "Queued",
    connecting: "Connecting",
    downloading: "Downloading",
    retrying: "Retrying",
    verifying: "Verifying",
    paused: "Paused",
    done: "Ready",
    failed: "Failed",
    cancelled: "Cancelled",
  };
  return labels[state];
}

export function checksumNote(checksum: DownloadRecord["checksum"]): string {
  return checksum === "hub"
    ? "sha256 matches the hub's"
    : checksum === "user"
      ? "sha256 matches yours"
      : "checked as a GGUF (no sha256 published)";
}

export function fitLabel(fit: MemoryFit): { text: string; tone: "success" | "warning" | "danger" } {
  return fit.verdict === "fits"
    ? { text: "Fits in memory", tone: "success" }
    : fit.verdict === "tight"
      ? { text: "Tight fit", tone: "warning" }
      : { text: "Too big for this machine", tone: "danger" };
}
