import {
  dequantizeRow,
  isQuantizedRow,
  quantizeRow,
  rowSize,
  rowTypeFromId,
  rowTypeId,
  rowTypeSize,
  type RowType,
} from "./ggmlRows.js";
import { hadamardInPlace, kvRotation } from "./hadamard.js";

/**
 * llama.cpp's sequence state file (`llama_state_seq_save_file`, what node-llama-cpp's
 * saveStateToFile writes), as the bundled llama.cpp lays it out (llama-context.cpp
 * state_seq_save_file, llama-kv-cache.cpp state_write / state_write_meta / state_write_data):
 *
 *   u32 magic "ggsq", u32 version, u32 n_tokens, i32 tokens[n_tokens], u32 n_stream, then per
 *   stream: u32 cell_count and, when non-zero, per cell {i32 pos, u32 n_seq, [ext], i32 seq[n_seq]},
 *   u32 v_trans, u32 n_layer, per layer {i32 k_type, u64 k_row_bytes, rows}, then V: per layer
 *   {i32 v_type, u64 v_row_bytes, rows} or, transposed, {i32 v_type, u32 el_bytes, u32 n_embd,
 *   n_embd runs of cell_count elements}.
 */
export const SEQ_STATE_MAGIC = 0x67677371; // "ggsq"
export const SEQ_STATE_VERSION = 3;

/** One layer's K or V as stored: `cells` rows of `embd` values of `type`. */
export interface StoredMatrix {
  type: RowType;
  embd: number;
  /** Byte offset of the first value. */
  offset: number;
  /** V without flash attention: element j of cell c at offset + (j·cells + c)·element size. */
  transposed: boolean;
}

export interface StoredStream {
  cells: number;
  /** Byte range of the cell bookkeeping (positions, sequences), copied as is. */
  metaStart: number;
  metaEnd: number;
  vTrans: boolean;
  k: StoredMatrix[];
  v: StoredMatrix[];
}

export interface SeqState {
  version: number;
  tokens: number;
  /** Bytes up to and including n_stream. */
  headerEnd: number;
  streams: StoredStream[];
}

class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    public at = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (this.at + n > this.bytes.byteLength) {
      throw new Error(`the state file ends inside ${what} (offset ${this.at})`);
    }
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  u64(what: string): number {
    this.need(8, what);
    const v = Number(this.view.getBigUint64(this.at, true));
    this.at += 8;
    return v;
  }
  skip(n: number, what: string): void {
    this.need(n, what);
    this.at += n;
  }
}

function typeOf(id: number, what: string): RowType {
  const type = rowTypeFromId(id);
  if (type === null) {
    throw new Error(`${what} has ggml type ${id}, which a cache conversion does not handle`);
  }
  return type;
}

/**
 * Reads the layout of a sequence state file. `cellExtBytes` is the per-cell extension llama.cpp
 * writes for M-RoPE and PLE models (0 for the rest); a wrong guess fails the final size check.
 */
export function parseSeqState(bytes: Uint8Array, cellExtBytes = 0): SeqState {
  const r = new Reader(bytes);
  const magic = r.u32("the header");
  const version = r.u32("the header");
  if (magic !== SEQ_STATE_MAGIC || version !== SEQ_STATE_VERSION) {
    throw new Error(
      `not a llama.cpp sequence state file of version ${SEQ_STATE_VERSION} ` +
        `(magic ${magic.toString(16)}, version ${version})`,
    );
  }
  const tokens = r.u32("the token count");
  r.skip(tokens * 4, "the tokens");
  const nStream = r.u32("the stream count");
  const headerEnd = r.at;
  const streams: StoredStream[] = [];
  for (let s = 0; s < nStream; s++) {
    const cells = r.u32("a cell count");
    if (cells === 0) {
      streams.push({ cells, metaStart: r.at, metaEnd: r.at, vTrans: false, k: [], v: [] });
      continue;
    }
    const metaStart = r.at;
    for (let c = 0; c < cells; c++) {
      r.skip(4, "a cell position");
      const seqs = r.u32("a cell's sequence count");
      r.skip(cellExtBytes + seqs * 4, "a cell's sequences");
    }
    const metaEnd = r.at;
    const vTransFlag = r.u32("the V layout");
    const layers = r.u32("the layer count");
    if (vTransFlag > 1 || layers === 0 || layers > 4096) {
      throw new Error(`unexpected V layout ${vTransFlag} or layer count ${layers}`);
    }
    const vTrans = vTransFlag === 1;
    const k: StoredMatrix[] = [];
    for (let l = 0; l < layers; l++) {
      const type = typeOf(r.u32("a K type"), `layer ${l}'s K`);
      const rowBytes = r.u64("a K row size");
      const embd = (rowBytes / rowTypeSize(type)) * blockOf(type);
      k.push({ type, embd, offset: r.at, transposed: false });
      r.skip(rowBytes * cells, `layer ${l}'s K rows`);
    }
    const v: StoredMatrix[] = [];
    for (let l = 0; l < layers; l++) {
      const type = typeOf(r.u32("a V type"), `layer ${l}'s V`);
      if (!vTrans) {
        const rowBytes = r.u64("a V row size");
        const embd = (rowBytes / rowTypeSize(type)) * blockOf(type);
        v.push({ type, embd, offset: r.at, transposed: false });
        r.skip(rowBytes * cells, `layer ${l}'s V rows`);
      } else {
        const el = r.u32("a V element size");
        const embd = r.u32("a V width");
        if (isQuantizedRow(type) || el !== rowTypeSize(type)) {
          throw new Error(`layer ${l}'s transposed V has type ${type} with ${el}-byte elements`);
        }
        v.push({ type, embd, offset: r.at, transposed: true });
        r.skip(embd * cells * el, `layer ${l}'s V values`);
      }
    }
    streams.push({ cells, metaStart, metaEnd, vTrans, k, v });
  }
  if (r.at !== bytes.byteLength) {
    throw new Error(
      `the state file has ${bytes.byteLength - r.at} bytes after its last layer: ` +
        "a layout this converter does not know",
    );
  }
  return { version, tokens, headerEnd, streams };
}

function blockOf(type: RowType): number {
  return isQuantizedRow(type) ? 32 : 1;
}

/** Head sizes decide llama.cpp's rotation of a quantized cache. */
export interface KvHeads {
  headDimK: number;
  headDimV: number;
  env?: Record<string, string | undefined>;
}

/** Reads cell `c` of a stored matrix as f32, with llama.cpp's rotation (if any) undone. */
export function readRow(
  bytes: Uint8Array,
  m: StoredMatrix,
  cells: number,
  c: number,
  out: Float32Array,
  rotation: number,
): void {
  if (m.transposed) {
    const el = rowTypeSize(m.type);
    const one = new Float32Array(1);
    for (let j = 0; j < m.embd; j++) {
      dequantizeRow(m.type, bytes, m.offset + (j * cells + c) * el, one, 1);
      out[j] = one[0]!;
    }
  } else {
    dequantizeRow(m.type, bytes, m.offset + c * rowSize(m.type, m.embd), out, m.embd);
  }
  if (rotation > 0) {
    hadamardInPlace(out, m.embd, rotation);
  }
}

/** The cache types and V layout a converted file must have for the new context. */
export interface KvStateTarget {
  k: RowType;
  v: RowType;
  /** llama.cpp stores V transposed when flash attention is off. */
  vTrans: boolean;
}

export interface ConvertedState {
  bytes: Uint8Array;
  tokens: number;
  cells: number;
  from: { k: RowType; v: RowType; vTrans: boolean };
}

/**
 * Rewrites a sequence state with K and V in the target types and layout: each row is decoded,
 * llama.cpp's Hadamard rotation of the source cache undone and the target's applied, and the
 * row encoded again. Cell bookkeeping and tokens are copied, so the loaded cache holds the same
 * tokens at the same positions.
 */
export function convertSeqState(
  bytes: Uint8Array,
  target: KvStateTarget,
  heads: KvHeads,
  cellExtBytes = 0,
): ConvertedState {
  const state = parseSeqState(bytes, cellExtBytes);
  if (target.vTrans && isQuantizedRow(target.v)) {
    throw new Error(`a ${target.v} V cache cannot be stored transposed (it needs flash attention)`);
  }
  const pieces: Uint8Array[] = [bytes.subarray(0, state.headerEnd)];
  let cells = 0;
  let from: ConvertedState["from"] | null = null;
  for (const stream of state.streams) {
    pieces.push(u32s(stream.cells));
    if (stream.cells === 0) {
      continue;
    }
    cells += stream.cells;
    from ??= { k: stream.k[0]!.type, v: stream.v[0]!.type, vTrans: stream.vTrans };
    pieces.push(bytes.subarray(stream.metaStart, stream.metaEnd));
    pieces.push(u32s(target.vTrans ? 1 : 0, stream.k.length));
    for (const m of stream.k) {
      pieces.push(typeHeader(target.k, rowSize(target.k, m.embd)));
      pieces.push(convertMatrix(bytes, m, stream.cells, target.k, false, "k", heads));
    }
    for (const m of stream.v) {
      if (target.vTrans) {
        pieces.push(u32s(rowTypeId(target.v), rowTypeSize(target.v), m.embd));
      } else {
        pieces.push(typeHeader(target.v, rowSize(target.v, m.embd)));
      }
      pieces.push(convertMatrix(bytes, m, stream.cells, target.v, target.vTrans, "v", heads));
    }
  }
  const total = pieces.reduce((sum, p) => sum + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.byteLength;
  }
  return {
    bytes: out,
    tokens: state.tokens,
    cells,
    from: from ?? { k: target.k, v: target.v, vTrans: target.vTrans },
  };
}

function u32s(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v, true));
  return out;
}

function typeHeader(type: RowType, rowBytes: number): Uint8Array {
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  view.setInt32(0, rowTypeId(type), true);
  view.setBigUint64(4, BigInt(rowBytes), true);
  return out;
}

function convertMatrix(
  bytes: Uint8Array,
  m: StoredMatrix,
  cells: number,
  type: RowType,
  transposed: boolean,
  which: "k" | "v",
  heads: KvHeads,
): Uint8Array {
  const head = which === "k" ? heads.headDimK : heads.headDimV;
  const fromRot = kvRotation(which, isQuantizedRow(m.type), head, heads.env);
  const toRot = kvRotation(which, isQuantizedRow(type), head, heads.env);
  const rowBytes = rowSize(type, m.embd);
  const size = rowBytes * cells;
  // Same type, rotation and layout: the bytes are already right.
  if (m.type === type && fromRot === toRot && m.transposed === transposed) {
    return bytes.subarray(m.offset, m.offset + size);
  }
  const out = new Uint8Array(size);
  const row = new Float32Array(m.embd);
  // Rotations of the same size cancel (H·H = I), so they are skipped rather than undone.
  const same = fromRot === toRot;
  const el = rowTypeSize(type);
  const one = new Uint8Array(el);
  for (let c = 0; c < cells; c++) {
    readRow(bytes, m, cells, c, row, same ? 0 : fromRot);
    if (!same && toRot > 0) {
      hadamardInPlace(row, m.embd, toRot);
    }
    if (!transposed) {
      quantizeRow(type, row, m.embd, out, c * rowBytes);
    } else {
      for (let j = 0; j < m.embd; j++) {
        quantizeRow(type, row.subarray(j, j + 1), 1, one, 0);
        out.set(one, (j * cells + c) * el);
      }
    }
  }
  return out;
}
