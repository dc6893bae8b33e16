import type { CompressionLevel, Fit, QuantizeProgress, Run } from "@contract";
import { formatBytes } from "../../../utils/format";

export const fitLabels: Record<Fit, string> = {
  fits: "Fits in memory",
  tight: "Tight fit",
  no: "Too big for this machine",
};

export const fitTones: Record<Fit, "success" | "warning" | "danger"> = {
  fits: "success",
  tight: "warning",
  no: "danger",
};

/** One sentence a screen reader says for a stop of the slider. */
export function stopDescription(stop: CompressionLevel): string {
  const parts = [
    stop.level,
    `${stop.bpw.toFixed(2)} bits per weight`,
    formatBytes(stop.sizeBytes),
    `${Math.round(stop.sizeFraction * 100)}% of the source`,
    stop.available ? fitLabels[stop.fits] : `unavailable: ${stop.reason ?? ""}`,
  ];
  if (stop.needsImatrix) {
    parts.push("needs calibration");
  }
  if (stop.gptqOffered === true) {
    parts.push(
      stop.methodDefault === "gptq"
        ? "calibrated rounding by default"
        : "calibrated rounding offered",
    );
  }
  if (stop.gptqQuality?.meanKld != null) {
    parts.push(`calibrated: measured KL divergence ${stop.gptqQuality.meanKld.toPrecision(2)}`);
  }
  if (stop.quality?.meanKld != null) {
    parts.push(`measured KL divergence ${stop.quality.meanKld.toPrecision(2)}`);
  }
  return parts.join(", ");
}

/** What the job is doing now, in words. */
export function phaseText(progress: QuantizeProgress | null): string {
  if (progress === null) {
    return "Starting…";
  }
  switch (progress.phase) {
    case "queued":
      return "Waiting for the compression before it to finish…";
    case "calibrating":
      return progress.chunk === undefined
        ? "Calibrating on the sample text…"
        : `Calibrating: chunk ${progress.chunk} of ${progress.chunks ?? "?"}`;
    case "quantizing":
      return progress.tensorIndex === undefined
        ? "Quantizing…"
        : `Quantizing tensor ${progress.tensorIndex} of ${progress.tensorCount ?? "?"}: ${progress.tensorName ?? ""}`;
    case "compensating":
      return progress.tensorIndex === undefined
        ? "Rounding with compensation…"
        : `Calibrated rounding: weight matrix ${progress.tensorIndex} of ${progress.tensorCount ?? "?"}`;
    case "verifying":
      return "Checking the new file…";
    case "registering":
      return "Adding it to the library…";
  }
}

/** The tensor mix, largest share first: "Q4_K ×38, Q6_K ×5, F32 ×13". */
export function tensorMix(types: Record<string, number>): string {
  return Object.entries(types)
    .sort((a, b) => b[1] - a[1])
    .map(([type, count]) => `${type} ×${count}`)
    .join(", ");
}

export const runStatusTones: Record<
  Run["status"],
  "neutral" | "accent" | "success" | "warning" | "danger"
> = {
  queued: "neutral",
  running: "accent",
  done: "success",
  failed: "danger",
  cancelled: "warning",
};

export function formatDuration(ms: number | null): string {
  if (ms === null) {
    return "";
  }
  const seconds = ms / 1000;
  if (seconds < 60) {
    return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  }
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
