/**
 * The shape of Lowbit's native addon (native/addon), the one place it is declared. The addon
 * wraps llama.cpp's quantizer, an importance-matrix collector and llama-perplexity's
 * evaluation, linked against the same libllama/libggml node-llama-cpp loads. Load it only in the model worker process (see
 * loadAddon.ts): a GGML_ASSERT in there ends the process.
 */

/** A slow native call: runs off the JS thread; `cancel` asks the C++ loop to stop. */
export interface NativeJob<R> {
  /** Rejects with a NativeError (its `code` says why). */
  readonly promise: Promise<R>;
  cancel(): void;
}

/** What a rejected NativeJob carries. */
export interface NativeError extends Error {
  /**
   * cancelled · busy (another native call is running in this process) · imatrix_required ·
   * requantize_disabled · bad_imatrix · text_too_short · bad_logprobs · vocab_mismatch ·
   * unsupported · not_found · io_error · failed
   */
  readonly code: string;
}

export interface NativeQuantizeOptions {
  inputPath: string;
  /** Required unless dryRun. */
  outputPath?: string;
  /** `enum llama_ftype`, e.g. 15 for Q4_K_M. */
  ftype: number;
  /** Threads for quantizing; 0 = one per core. Defaults to 0. */
  threads?: number;
  /** Plan only: per-tensor types and the exact output size; nothing is written. */
  dryRun?: boolean;
  /** Allow a source whose tensors are already quantized. Defaults to false. */
  allowRequantize?: boolean;
  /** Every tensor to the level's base type, no mix rules. Defaults to false. */
  pure?: boolean;
  /** A GGUF importance matrix (llama-imatrix's format). */
  imatrixPath?: string;
  /** Dry runs: plan as if an importance matrix were given (some mixes depend on it). */
  assumeImatrix?: boolean;
  /** ggml type ids forced on output.weight / token_embd.weight. */
  outputTensorType?: number;
  tokenEmbeddingType?: number;
  /** Per-tensor type overrides: a regex on the tensor name and a ggml type id. */
  tensorTypes?: Array<{ pattern: string; type: number }>;
  /** Metadata written into the output (strings under 128 bytes). */
  metadata?: Array<{ key: string; value: string | number | boolean; type?: "int" | "float" }>;
}

export interface NativeQuantizeProgress {
  /** The tensor llama.cpp starts on, 1-based. */
  tensorIndex: number;
  tensorCount: number;
  name: string;
}

export interface NativeTensorPlan {
  name: string;
  shape: [number, number, number, number];
  /** ggml type ids. */
  fromType: number;
  toType: number;
  /** Bytes of data at toType (before alignment padding). */
  bytes: number;
}

export interface NativeQuantizeResult {
  /** Dry run: the exact size the file would have; otherwise the size written. */
  fileBytes: number;
  seconds: number;
  tensors: NativeTensorPlan[];
  /** Weights in the model (for bits per weight). */
  elements: number;
  /** Dry runs without a matrix: the real run would refuse to proceed without one. */
  requiresImatrix: boolean;
  fallbackTensors: number;
  /** Matrices taken from imatrixPath. */
  imatrixEntries: number;
}

export interface NativeImatrixOptions {
  modelPath: string;
  /** The calibration text (UTF-8). */
  textPath: string;
  outputPath: string;
  /** Recorded in the file's imatrix.datasets. Defaults to textPath. */
  datasetName?: string;
  /** Tokens per chunk. Defaults to 512. */
  chunkSize?: number;
  /** Evaluate at most this many chunks; -1 for all. Defaults to -1. */
  maxChunks?: number;
  /** Defaults to 1. */
  threads?: number;
  /** Layers to offload to a GPU. Defaults to 0. */
  gpuLayers?: number;
}

export interface NativeImatrixProgress {
  chunk: number;
  chunks: number;
  tokens: number;
}

export interface NativeImatrixResult {
  chunks: number;
  chunkSize: number;
  /** Tokens in the whole text. */
  tokens: number;
  /** Weight matrices with statistics. */
  entries: number;
  seconds: number;
}

export interface NativeImatrixSummary {
  entries: number;
  chunkCount: number;
  chunkSize: number;
  hasMetadata: boolean;
  datasets: string[];
}

export interface NativeEvaluateOptions {
  modelPath: string;
  /** The text (UTF-8); needed unless comparing, where the base file holds the tokens. */
  textPath?: string;
  /** Compare pass: the base model's log-probs (llama-perplexity's `--kl-divergence-base`). */
  baseLogProbsPath?: string;
  /** Base pass: write this model's log-probs here, in the same format. */
  saveLogProbsPath?: string;
  /** Tokens per chunk (an even number); the second half of each is scored. Defaults to 512. */
  contextSize?: number;
  /** Evaluate at most this many chunks; -1 for all. Defaults to -1. */
  maxChunks?: number;
  /** llama-perplexity's -b: batch / contextSize chunks run side by side. Defaults to 2048. */
  batchSize?: number;
  /** Defaults to 1. */
  threads?: number;
  /** Layers to offload to a GPU. Defaults to 0. */
  gpuLayers?: number;
  /** Tokens decoded one at a time afterwards, for the decode speed; 0 skips it. Defaults to 0. */
  decodeTokens?: number;
}

export interface NativeEvaluateProgress {
  /** Chunks done, 1-based. */
  chunk: number;
  chunks: number;
}

/** llama-perplexity's percentile block. */
export interface NativeDistribution {
  mean: number;
  /** Standard error of the mean. */
  error: number;
  max: number;
  p999: number;
  p99: number;
  p95: number;
  p90: number;
  p75: number;
  median: number;
  p25: number;
  p10: number;
  p5: number;
  p1: number;
  p01: number;
  min: number;
}

/** Against a base: llama-perplexity's `--kl-divergence` statistics. */
export interface NativeComparison {
  pplBase: number;
  pplBaseError: number;
  /** Correlation of ln PPL(model) and ln PPL(base), 0..1. */
  pplCorrelation: number;
  lnPplRatio: number;
  lnPplRatioError: number;
  pplRatio: number;
  pplRatioError: number;
  deltaPpl: number;
  deltaPplError: number;
  /** KL(base ‖ model) per token, nats, over the full vocabulary. */
  kld: NativeDistribution;
  /** p_model(correct) − p_base(correct), as a fraction. */
  deltaP: NativeDistribution & { rms: number; rmsError: number };
  /** Share of tokens where both models rank the same token first, 0..1. */
  sameTop: number;
  sameTopError: number;
}

export interface NativeEvaluateResult {
  /** Tokens in the text (compare pass: in the base file). */
  textTokens: number;
  contextSize: number;
  vocabSize: number;
  chunks: number;
  /** Chunks decoded side by side per round. */
  sequences: number;
  scoredTokens: number;
  ppl: number;
  pplError: number;
  /** Tokens through llama_decode in the scoring pass, and the time it took. */
  promptTokens: number;
  promptSeconds: number;
  decodeTokens: number;
  decodeSeconds: number;
  loadSeconds: number;
  seconds: number;
  /** The evaluating process's peak resident memory. */
  peakRssBytes: number;
  comparison: NativeComparison | null;
}

export interface NativeSystemInfo {
  llamaSystemInfo: string;
  /** Where the linked libllama lives. */
  libraryDir: string;
  qntVersion: number;
  ggmlTypes: Array<{ id: number; name: string; blockSize: number; typeSize: number }>;
}

export interface NativeGptqOptions {
  /** The source model: it runs over the text, and its weights are what gets rounded. */
  modelPath: string;
  /** A file llama_model_quantize wrote from modelPath; its layer weights are rewritten in place. */
  targetPath: string;
  textPath: string;
  /** Tokens per chunk. Defaults to 512. */
  chunkSize?: number;
  /** Evaluate at most this many chunks; -1 for all. Defaults to 64. */
  maxChunks?: number;
  /** λ as a share of the mean diagonal of each Gram matrix. Defaults to 0.01. */
  damping?: number;
  /** Defaults to 1. */
  threads?: number;
  /** false: round to nearest on the same grids (what compensation is measured against). */
  compensate?: boolean;
  /** Also compute each tensor's layer-output error with and without compensation. */
  measure?: boolean;
  /** Gram matrices kept at once; more layers take more passes. Defaults to a quarter of RAM. */
  maxGramBytes?: number;
}

export interface NativeGptqProgress {
  phase: "calibrating" | "compensating";
  /** Chunks evaluated or tensors rounded so far, of total, in this pass. */
  done: number;
  total: number;
  pass: number;
  passes: number;
  /** The tensor just rounded. */
  name: string;
}

export interface NativeGptqTensor {
  name: string;
  /** ggml type id. */
  type: number;
  rows: number;
  cols: number;
  /** With `measure`: ‖(W − Q)X‖² over the calibration tokens, round-to-nearest and compensated. */
  rtnError?: number;
  gptqError?: number;
}

export interface NativeGptqResult {
  chunks: number;
  chunkSize: number;
  tokens: number;
  passes: number;
  damping: number;
  /** Weight matrices rewritten with compensation. */
  compensated: number;
  /** Weight matrices with a grid whose input the calibration never saw (kept as they were). */
  skipped: number;
  calibrationSeconds: number;
  compensationSeconds: number;
  tensors: NativeGptqTensor[];
}

export interface LowbitAddon {
  quantize(
    options: NativeQuantizeOptions,
    onProgress?: (progress: NativeQuantizeProgress) => void,
  ): NativeJob<NativeQuantizeResult>;
  computeImatrix(
    options: NativeImatrixOptions,
    onProgress?: (progress: NativeImatrixProgress) => void,
  ): NativeJob<NativeImatrixResult>;
  /** llama-perplexity's measurement: perplexity, and against a saved base KL divergence etc. */
  evaluate(
    options: NativeEvaluateOptions,
    onProgress?: (progress: NativeEvaluateProgress) => void,
  ): NativeJob<NativeEvaluateResult>;
  /** Calibrated (GPTQ-style) rounding of a quantized file's layer weights, in place. */
  gptq(
    options: NativeGptqOptions,
    onProgress?: (progress: NativeGptqProgress) => void,
  ): NativeJob<NativeGptqResult>;
  /** ggml type ids calibrated rounding supports in this build. */
  gptqGridTypes(): number[];
  /** Reads an imatrix file's summary; throws a NativeError (code bad_imatrix) if unusable. */
  readImatrix(path: string): NativeImatrixSummary;
  systemInfo(): NativeSystemInfo;
}
