/**
 * The shape of Lowbit's native addon (native/addon), the one place it is declared. The addon
 * wraps llama.cpp's quantizer and an importance-matrix collector, linked against the same
 * libllama/libggml node-llama-cpp loads. Load it only in the model worker process (see
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
   * requantize_disabled · bad_imatrix · text_too_short · not_found · io_error · failed
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

export interface NativeSystemInfo {
  llamaSystemInfo: string;
  /** Where the linked libllama lives. */
  libraryDir: string;
  qntVersion: number;
  ggmlTypes: Array<{ id: number; name: string; blockSize: number; typeSize: number }>;
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
  /** Reads an imatrix file's summary; throws a NativeError (code bad_imatrix) if unusable. */
  readImatrix(path: string): NativeImatrixSummary;
  systemInfo(): NativeSystemInfo;
}
