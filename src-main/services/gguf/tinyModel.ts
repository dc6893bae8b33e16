import { float32ToFloat16Buffer } from "./float16.js";
import { ggufValue, type GgufValue } from "./ggufValues.js";
import { writeGgufFile } from "./ggufWriter.js";
import type { GgufTensorSpec } from "./planGgufLayout.js";
import { seededRandom } from "./seededRandom.js";
import { chatMlTemplate, tinyTokenizerMetadata } from "./tinyModelTokenizer.js";

export interface TinyModelOptions {
  /** Where to write the .gguf. */
  readonly path: string;
  /** Embedding size, a multiple of 256 so k-quants apply. Defaults to 256. */
  readonly embd?: number;
  /** Transformer blocks. Defaults to 2. */
  readonly layers?: number;
  /** Feed-forward size, a multiple of 256. Defaults to 512. */
  readonly ff?: number;
  /** Tokens: 256 bytes + merges + 3 ChatML specials; at least 259. Defaults to 512. */
  readonly vocab?: number;
  /** Attention heads; must divide embd into even head sizes. Defaults to embd / 64. */
  readonly heads?: number;
  /** Key/value heads; must divide heads. Defaults to heads / 2 (grouped-query attention). */
  readonly kvHeads?: number;
  /** Training context length written into the file. Defaults to 512. */
  readonly ctx?: number;
  /** Storage type of the 2-D weights; norms stay F32 as in llama.cpp. Defaults to "f16". */
  readonly type?: "f32" | "f16";
  /** PRNG seed: the same options give a byte-identical file. Defaults to 1. */
  readonly seed?: number;
  /** Leave out output.weight so the token embeddings are reused. Defaults to false. */
  readonly tiedOutput?: boolean;
  /** Jinja chat template, or null for none. Defaults to ChatML. */
  readonly chatTemplate?: string | null;
  /** Metadata keys to leave out, e.g. to build a file that crashes llama.cpp. */
  readonly omitKeys?: readonly string[];
  /** Tensors to leave out. */
  readonly omitTensors?: readonly string[];
}

export type TinyModelSettings = Required<Omit<TinyModelOptions, "omitKeys" | "omitTensors">>;

export interface TinyModel {
  readonly path: string;
  readonly fileSize: number;
  readonly settings: TinyModelSettings;
}

/** Writes a random-weight llama-architecture GGUF that llama.cpp loads and runs. */
export async function writeTinyModel(options: TinyModelOptions): Promise<TinyModel> {
  const s = resolveSettings(options);
  const omitKeys = new Set(options.omitKeys);
  const omitTensors = new Set(options.omitTensors);
  const metadata = modelMetadata(s).filter(([key]) => !omitKeys.has(key));
  const tensors = modelTensors(s).filter((t) => !omitTensors.has(t.name));
  const written = await writeGgufFile(s.path, { metadata, tensors });
  return { path: written.path, fileSize: written.fileSize, settings: s };
}

function resolveSettings(o: TinyModelOptions): TinyModelSettings {
  const embd = o.embd ?? 256;
  const heads = o.heads ?? Math.max(1, embd / 64);
  const s: TinyModelSettings = {
    path: o.path,
    embd,
    layers: o.layers ?? 2,
    ff: o.ff ?? 512,
    vocab: o.vocab ?? 512,
    heads,
    kvHeads: o.kvHeads ?? (heads % 2 === 0 ? heads / 2 : heads),
    ctx: o.ctx ?? 512,
    type: o.type ?? "f16",
    seed: o.seed ?? 1,
    tiedOutput: o.tiedOutput ?? false,
    chatTemplate: o.chatTemplate === undefined ? chatMlTemplate : o.chatTemplate,
  };
  const fail = (why: string) => {
    throw new RangeError(`tiny model: ${why}`);
  };
  if (s.embd % 256 !== 0 || s.ff % 256 !== 0) {
    fail(`embd (${s.embd}) and ff (${s.ff}) must be multiples of 256 so k-quants apply`);
  }
  const positive = ["embd", "layers", "ff", "vocab", "heads", "kvHeads", "ctx"] as const;
  for (const key of positive) {
    if (!Number.isSafeInteger(s[key]) || s[key] < 1) {
      fail(`${key} must be a positive integer, got ${s[key]}`);
    }
  }
  if (s.vocab < 259) {
    fail(`vocab must be at least 259 (256 byte tokens and 3 special tokens), got ${s.vocab}`);
  }
  if (s.embd % s.heads !== 0 || (s.embd / s.heads) % 2 !== 0) {
    fail(`heads (${s.heads}) must split embd (${s.embd}) into heads of an even size`);
  }
  if (s.heads % s.kvHeads !== 0) {
    fail(`kvHeads (${s.kvHeads}) must divide heads (${s.heads})`);
  }
  return s;
}

function modelMetadata(s: TinyModelSettings): [string, GgufValue][] {
  const u32 = ggufValue.u32;
  return [
    ["general.architecture", ggufValue.string("llama")],
    ["general.name", ggufValue.string(`lowbit-tiny-${s.embd}x${s.layers}-${s.type}-seed${s.seed}`)],
    // llama_ftype: ALL_F32 = 0, MOSTLY_F16 = 1.
    ["general.file_type", u32(s.type === "f32" ? 0 : 1)],
    ["llama.vocab_size", u32(s.vocab)],
    ["llama.context_length", u32(s.ctx)],
    ["llama.embedding_length", u32(s.embd)],
    ["llama.block_count", u32(s.layers)],
    ["llama.feed_forward_length", u32(s.ff)],
    ["llama.attention.head_count", u32(s.heads)],
    ["llama.attention.head_count_kv", u32(s.kvHeads)],
    ["llama.rope.dimension_count", u32(s.embd / s.heads)],
    ["llama.rope.freq_base", ggufValue.f32(10000)],
    ["llama.attention.layer_norm_rms_epsilon", ggufValue.f32(1e-5)],
    ...tinyTokenizerMetadata(s.vocab, s.chatTemplate),
  ];
}

function modelTensors(s: TinyModelSettings): GgufTensorSpec[] {
  const random = seededRandom(s.seed);
  const headDim = s.embd / s.heads;
  const kv = headDim * s.kvHeads;
  // Uniform in ±scale; scale ~ 1/sqrt(fan-in) keeps activations, and so logits, finite.
  const matrix = (name: string, cols: number, rows: number, scale = 1 / Math.sqrt(cols)) => {
    const values = new Float32Array(cols * rows);
    for (let i = 0; i < values.length; i++) {
      values[i] = (random() * 2 - 1) * scale;
    }
    const data = s.type === "f16" ? float32ToFloat16Buffer(values) : float32Bytes(values);
    return { name, dims: [cols, rows], type: s.type === "f16" ? "F16" : "F32", data };
  };
  const norm = (name: string) => ({
    name,
    dims: [s.embd],
    type: "F32",
    data: float32Bytes(new Float32Array(s.embd).fill(1)),
  });

  const tensors: GgufTensorSpec[] = [matrix("token_embd.weight", s.embd, s.vocab, 0.5)];
  for (let i = 0; i < s.layers; i++) {
    const blk = (part: string) => `blk.${i}.${part}.weight`;
    tensors.push(
      norm(blk("attn_norm")),
      matrix(blk("attn_q"), s.embd, s.embd),
      matrix(blk("attn_k"), s.embd, kv),
      matrix(blk("attn_v"), s.embd, kv),
      matrix(blk("attn_output"), s.embd, s.embd),
      norm(blk("ffn_norm")),
      matrix(blk("ffn_gate"), s.embd, s.ff),
      matrix(blk("ffn_up"), s.embd, s.ff),
      matrix(blk("ffn_down"), s.ff, s.embd),
    );
  }
  tensors.push(norm("output_norm.weight"));
  if (!s.tiedOutput) {
    tensors.push(matrix("output.weight", s.embd, s.vocab));
  }
  return tensors;
}

/** Little-endian whatever the machine, as GGUF requires. */
function float32Bytes(values: Float32Array): Buffer {
  const out = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    out.writeFloatLE(values[i]!, i * 4);
  }
  return out;
}
