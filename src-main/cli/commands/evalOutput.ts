import type { Evaluation } from "../../contract/index.js";

/** The numbers `lowbit eval`, `lowbit sweep` and `lowbit runs list` print for a measurement. */
export interface MetricsJson {
  evaluationId: string;
  ppl: number;
  pplBase: number;
  deltaPpl: number;
  kld: number;
  kldP99: number;
  top1: number;
  promptTps: number;
  decodeTps: number | null;
  tokens: number;
  seconds: number;
  pplError: number;
  deltaPplError: number;
  pplRatio: number;
  kldError: number;
  top1Error: number;
  peakRssBytes: number;
  text: { name: string; sha256: string };
  contextSize: number;
  chunks: number | null;
  chunksLimited: boolean;
  kldMethod: string;
}

export function metricsJson(evaluation: Evaluation): MetricsJson | null {
  const m = evaluation.metrics;
  if (m === null) {
    return null;
  }
  return {
    evaluationId: evaluation.id,
    ppl: m.ppl,
    pplBase: m.pplBase,
    deltaPpl: m.deltaPpl,
    kld: m.kld,
    kldP99: m.kldP99,
    top1: m.top1,
    promptTps: m.promptTps,
    decodeTps: m.decodeTps,
    tokens: m.tokens,
    seconds: m.seconds,
    pplError: m.pplError,
    deltaPplError: m.deltaPplError,
    pplRatio: m.pplRatio,
    kldError: m.kldError,
    top1Error: m.top1Error,
    peakRssBytes: m.peakRssBytes,
    text: evaluation.text,
    contextSize: evaluation.contextSize,
    chunks: evaluation.chunks,
    chunksLimited: evaluation.chunksLimited,
    kldMethod: evaluation.kldMethod,
  };
}

/** "0.0312" for KLD-sized numbers, "3.1e-6" when tiny. */
export function formatKld(value: number): string {
  return Math.abs(value) >= 1e-4 || value === 0 ? value.toFixed(4) : value.toExponential(1);
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** llama-perplexity's closing block, in words a user can read. */
export function describeEvaluation(evaluation: Evaluation): string {
  const m = evaluation.metrics;
  if (m === null) {
    return `${evaluation.model.name}: ${evaluation.status}${evaluation.error ? ` (${evaluation.error.message})` : ""}`;
  }
  const lines = [
    `${evaluation.model.name} against ${evaluation.base.name}`,
    `  text ${evaluation.text.name}, ${evaluation.chunks} chunks of ${evaluation.contextSize} tokens (${m.tokens} scored)` +
      (evaluation.chunksLimited ? ", fewer chunks than asked: the cache cap" : ""),
    `  PPL            ${m.ppl.toFixed(4)} ± ${m.pplError.toFixed(4)}   (base ${m.pplBase.toFixed(4)} ± ${m.pplBaseError.toFixed(4)})`,
    `  ΔPPL           ${m.deltaPpl.toFixed(4)} ± ${m.deltaPplError.toFixed(4)}   (ratio ${m.pplRatio.toFixed(4)}, ln ${m.lnPplRatio.toFixed(5)})`,
    `  Mean KLD       ${formatKld(m.kld)} ± ${formatKld(m.kldError)}   (99th percentile ${formatKld(m.kldP99)}, full vocabulary)`,
    `  Same top token ${formatPercent(m.top1)} ± ${formatPercent(m.top1Error)}`,
    `  Speed          prompt ${m.promptTps.toFixed(0)} tok/s, decode ${m.decodeTps === null ? "not measured" : `${m.decodeTps.toFixed(0)} tok/s`}, peak RSS ${(m.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    `  Took           ${m.seconds.toFixed(1)} s${m.baseReused ? " (the base pass came from the cache)" : ""}`,
  ];
  return lines.join("\n");
}
