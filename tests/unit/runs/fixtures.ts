import type { Evaluation, EvaluationMetrics, Run } from "../../../src-main/contract/index.js";

/** A finished compression run of the starter model, with what a test changes. */
export function makeRun(overrides: Partial<Run> & Pick<Run, "id" | "level">): Run {
  return {
    jobId: null,
    sourceModelId: "source",
    sourceName: "Starter",
    sourceSha256: "a".repeat(64),
    options: {
      imatrix: "auto",
      imatrixTextPath: null,
      imatrixChunks: null,
      allowRequantize: false,
    },
    imatrix: false,
    imatrixTextSha256: null,
    imatrixDataset: null,
    outputModelId: `model-${overrides.id}`,
    outputPath: `/models/${overrides.id}.gguf`,
    sizeBytes: 2 ** 30,
    bpw: 4.5,
    durationMs: 1000,
    threads: 1,
    machine: "test",
    status: "done",
    error: null,
    createdAt: "2026-11-29T05:00:00.000Z",
    finishedAt: "2026-11-29T05:00:01.000Z",
    ...overrides,
  };
}

const distribution = {
  mean: 0,
  error: 0,
  max: 0,
  p999: 0,
  p99: 0,
  p95: 0,
  p90: 0,
  p75: 0,
  median: 0,
  p25: 0,
  p10: 0,
  p5: 0,
  p1: 0,
  p01: 0,
  min: 0,
};

export function makeMetrics(overrides: Partial<EvaluationMetrics> = {}): EvaluationMetrics {
  return {
    ppl: 104,
    pplError: 1,
    pplBase: 103.5,
    pplBaseError: 1,
    deltaPpl: 0.5,
    deltaPplError: 0.05,
    pplRatio: 1.005,
    lnPplRatio: 0.005,
    lnPplRatioError: 0.001,
    pplCorrelation: 0.99,
    kld: 0.01,
    kldError: 0.001,
    kldP99: 0.1,
    kldDistribution: distribution,
    deltaP: { ...distribution, rms: 0.01, rmsError: 0.001 },
    top1: 0.9,
    top1Error: 0.01,
    promptTps: 5000,
    decodeTps: 400,
    peakRssBytes: 2 ** 28,
    tokens: 8160,
    seconds: 10,
    baseReused: true,
    vocabSize: 8192,
    ...overrides,
  };
}

/** A finished measurement of `runId`'s model against the starter model on the default text. */
export function makeEvaluation(
  overrides: Partial<Evaluation> & Pick<Evaluation, "id">,
  metrics: Partial<EvaluationMetrics> = {},
): Evaluation {
  return {
    jobId: null,
    runId: null,
    model: {
      id: "model",
      name: "Starter Q4_K_M",
      sha256: "b".repeat(64),
      level: "Q4_K_M",
      sizeBytes: 2 ** 30,
      bpw: 4.5,
    },
    base: { id: "source", name: "Starter", sha256: "a".repeat(64) },
    text: { name: "brown/eval.txt", sha256: "c".repeat(64) },
    contextSize: 512,
    chunksRequested: null,
    chunks: 32,
    chunksLimited: false,
    kldMethod: "full-vocabulary",
    threads: 1,
    machine: "test",
    metrics: makeMetrics(metrics),
    status: "done",
    error: null,
    createdAt: "2026-11-29T05:01:00.000Z",
    finishedAt: "2026-11-29T05:01:10.000Z",
    ...overrides,
  };
}
