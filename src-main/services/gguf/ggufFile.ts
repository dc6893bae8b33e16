import type { GgmlTypeInfo } from "./ggmlTypes.js";
import type { GgufMetadata } from "./ggufMetadata.js";

export interface GgufTensorInfo {
  readonly name: string;
  /** ggml order: dims[0] is the row length (ne[0]), dims[1] the number of rows, … */
  readonly dims: readonly number[];
  readonly type: GgmlTypeInfo;
  readonly elements: number;
  readonly byteSize: number;
  /** Offset from the start of the data section, as stored in the file. */
  readonly offset: number;
  /** Offset from the start of the file. */
  readonly fileOffset: number;
}

/** Where one metadata value (its type id and its bytes) sits in the file. */
export interface ByteSpan {
  readonly start: number;
  readonly end: number;
}

/** A parsed GGUF header; the tensor data stays on disk. */
export interface GgufFile {
  /** 2 or 3: the two share one layout. */
  readonly version: number;
  readonly fileSize: number;
  /** `general.alignment`, or 32 when absent. */
  readonly alignment: number;
  /** Where the tensor data section starts. */
  readonly dataOffset: number;
  readonly metadata: GgufMetadata;
  readonly tensors: readonly GgufTensorInfo[];
  /** Lets a rewrite copy unchanged values byte for byte (strings that are not valid UTF-8 too). */
  readonly metadataSpans: ReadonlyMap<string, ByteSpan>;
}

export interface GgufReadLimits {
  /** Largest header (metadata and tensor infos) accepted, in bytes. Defaults to 256 MiB. */
  readonly maxHeaderBytes: number;
  /** Longest string value, in bytes. Defaults to 64 MiB. */
  readonly maxStringBytes: number;
  /** Most items in one array. Defaults to 16 Mi. */
  readonly maxArrayItems: number;
  /** Deepest nesting of arrays in arrays. Defaults to 4. */
  readonly maxArrayDepth: number;
}

export const defaultReadLimits: GgufReadLimits = {
  maxHeaderBytes: 256 * 2 ** 20,
  maxStringBytes: 64 * 2 ** 20,
  maxArrayItems: 16 * 2 ** 20,
  maxArrayDepth: 4,
};

/** GGML_MAX_DIMS. */
export const maxTensorDims = 4;
/** GGML_MAX_NAME is 64 including the terminating NUL. */
export const maxTensorNameBytes = 63;
export const defaultAlignment = 32;

export function alignUp(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}
