import type { GgufFile } from "./ggufFile.js";
import { metaArray, metaNumber, metaString, type GgufMetadata } from "./ggufMetadata.js";
import { isKnownTokenizer } from "./knownTokenizers.js";
import { llamaFileTypeById } from "./llamaFileTypes.js";

export interface TensorTypeStats {
  tensors: number;
  elements: number;
  bytes: number;
}

/** What a model list or a compression screen shows about a GGUF, read from its header. */
export interface ModelSummary {
  arch: string | null;
  name: string | null;
  /** Sum of the elements of every tensor, as llama.cpp's llama_model_n_params counts. */
  params: number;
  contextLength: number | null;
  embeddingLength: number | null;
  feedForwardLength: number | null;
  layers: number | null;
  /** Attention heads; the largest value when the file lists one per layer. */
  heads: number | null;
  kvHeads: number | null;
  vocabSize: number | null;
  /** general.file_type as a name ("Q4_K_M"), "unknown (id)" if unrecognised, null if absent. */
  fileType: string | null;
  /** Tensor type name ("Q4_K", "F32") → how much of the model is stored that way. */
  typeHistogram: Record<string, TensorTypeStats>;
  tensorBytes: number;
  /** tensorBytes · 8 / params; 0 for a file without tensors. */
  bpw: number;
  hasChatTemplate: boolean;
  tokenizer: { model: string | null; pre: string | null; known: boolean };
  fileSize: number;
}

export function summarizeModel(file: GgufFile): ModelSummary {
  const meta = file.metadata;
  const arch = metaString(meta, "general.architecture") ?? null;
  const archNumber = (key: string) => (arch === null ? null : perLayerMax(meta, `${arch}.${key}`));

  const typeHistogram: Record<string, TensorTypeStats> = {};
  let params = 0;
  let tensorBytes = 0;
  for (const t of file.tensors) {
    const stats = (typeHistogram[t.type.name] ??= { tensors: 0, elements: 0, bytes: 0 });
    stats.tensors += 1;
    stats.elements += t.elements;
    stats.bytes += t.byteSize;
    params += t.elements;
    tensorBytes += t.byteSize;
  }

  const fileTypeId = metaNumber(meta, "general.file_type");
  const tokenizerModel = metaString(meta, "tokenizer.ggml.model");
  const pre = metaString(meta, "tokenizer.ggml.pre");
  return {
    arch,
    name: metaString(meta, "general.name") ?? null,
    params,
    contextLength: archNumber("context_length"),
    embeddingLength: archNumber("embedding_length"),
    feedForwardLength: archNumber("feed_forward_length"),
    layers: archNumber("block_count"),
    heads: archNumber("attention.head_count"),
    kvHeads: archNumber("attention.head_count_kv") ?? archNumber("attention.head_count"),
    vocabSize: vocabSize(file, arch),
    fileType:
      fileTypeId === undefined
        ? null
        : (llamaFileTypeById(fileTypeId)?.name ?? `unknown (${fileTypeId})`),
    typeHistogram,
    tensorBytes,
    bpw: params === 0 ? 0 : (tensorBytes * 8) / params,
    hasChatTemplate: (metaString(meta, "tokenizer.chat_template") ?? "").trim().length > 0,
    tokenizer: {
      model: tokenizerModel ?? null,
      pre: pre ?? null,
      known: isKnownTokenizer(tokenizerModel, pre),
    },
    fileSize: file.fileSize,
  };
}

/** A number, or the largest entry of a per-layer array of numbers. */
function perLayerMax(meta: GgufMetadata, key: string): number | null {
  const scalar = metaNumber(meta, key);
  if (scalar !== undefined) {
    return scalar;
  }
  const array = metaArray(meta, key);
  if (array === undefined || array.value.length === 0) {
    return null;
  }
  const numbers = array.value.map(Number).filter((n) => Number.isFinite(n));
  return numbers.length === array.value.length ? Math.max(...numbers) : null;
}

function vocabSize(file: GgufFile, arch: string | null): number | null {
  const tokens = metaArray(file.metadata, "tokenizer.ggml.tokens");
  if (tokens !== undefined) {
    return tokens.value.length;
  }
  const fromKey = arch === null ? undefined : metaNumber(file.metadata, `${arch}.vocab_size`);
  if (fromKey !== undefined) {
    return fromKey;
  }
  return file.tensors.find((t) => t.name === "token_embd.weight")?.dims[1] ?? null;
}
