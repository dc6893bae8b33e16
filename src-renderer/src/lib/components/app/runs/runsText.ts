import type { Evaluation } from "@contract";

/** KL divergence in nats: four decimals, or scientific notation when tiny. */
export function formatKld(value: number): string {
  if (value === 0 || Math.abs(value) >= 1e-4) {
    return value.toFixed(4);
  }
  return value.toExponential(1);
}

/** ΔPPL with its sign: "+0.282", "−0.021". */
export function formatDelta(value: number, digits = 3): string {
  const text = Math.abs(value).toFixed(digits);
  return value < 0 ? `−${text}` : `+${text}`;
}

export function formatShare(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** "±0.0001" in the value's own style. */
export function plusMinus(error: number, format: (value: number) => string): string {
  return `± ${format(error)}`;
}

export type XAxis = "size" | "bpw";
export type YAxis = "kld" | "deltaPpl";

export const xAxisLabels: Record<XAxis, string> = {
  size: "Size (GiB)",
  bpw: "Bits per weight",
};

export const yAxisLabels: Record<YAxis, string> = {
  kld: "Mean KL divergence (nats, log scale)",
  deltaPpl: "ΔPPL (log scale)",
};

/** What a measurement's settings were, in a few words. */
export function settingsText(e: Evaluation): string {
  return `${e.text.name}, ${e.chunks ?? "?"} × ${e.contextSize} tokens`;
}

/** How KL divergence was computed (shown with every number, so nothing reads as more exact). */
export const kldMethodText: Record<Evaluation["kldMethod"], string> = {
  "full-vocabulary":
    "Over the full vocabulary at every scored token, against the base model's log-probabilities " +
    "stored at 16 bits (llama-perplexity's format); no top-k approximation.",
};
