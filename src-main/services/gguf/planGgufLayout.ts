import { ByteWriter } from "./byteWriter.js";
import { encodeEntry, EncodedGgufValue, type GgufValueInput } from "./encodeMetadata.js";
import { bytesForElements, resolveGgmlType, type GgmlTypeInfo } from "./ggmlTypes.js";
import { alignUp, defaultAlignment, maxTensorDims, maxTensorNameBytes } from "./ggufFile.js";
import type { GgufValue } from "./ggufValues.js";

/** Tensor bytes in memory, or `byteSize` bytes copied from `path` starting at `offset`. */
export type TensorData = Uint8Array | { readonly path: string; readonly offset: number };

export interface GgufTensorSpec {
  /** At most 63 bytes (llama.cpp's GGML_MAX_NAME). */
  readonly name: string;
  /** ggml order: dims[0] is the row length and must be a whole number of blocks. */
  readonly dims: readonly number[];
  readonly type: GgmlTypeInfo | number | string;
  readonly data: TensorData;
}

/** Key/value pairs in the order they are written. */
export type GgufMetadataInput =
  | ReadonlyMap<string, GgufValueInput>
  | Iterable<readonly [string, GgufValueInput]>
  | Readonly<Record<string, GgufValue>>;

export interface PlannedTensor {
  readonly spec: GgufTensorSpec;
  readonly type: GgmlTypeInfo;
  readonly byteSize: number;
  /** From the start of the data section. */
  readonly offset: number;
}

export interface GgufLayout {
  /** Everything before the tensor data, padding included. */
  readonly header: Buffer;
  readonly alignment: number;
  readonly tensors: readonly PlannedTensor[];
  readonly fileSize: number;
}

/** Checks the specs and lays the file out: header bytes, tensor offsets, final size. */
export function planGgufLayout(
  metadataInput: GgufMetadataInput,
  specs: readonly GgufTensorSpec[],
  requestedAlignment?: number,
): GgufLayout {
  const metadata = toEntries(metadataInput);
  const alignment = resolveAlignment(metadata, requestedAlignment);
  const tensors = planTensors(specs, alignment);

  const w = new ByteWriter();
  w.bytes(Buffer.from("GGUF", "latin1"));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.size);
  for (const [key, value] of metadata) {
    if (key.length === 0) {
      throw new TypeError("metadata keys must not be empty");
    }
    encodeEntry(w, key, value);
  }
  for (const t of tensors) {
    w.string(t.spec.name);
    w.u32(t.spec.dims.length);
    t.spec.dims.forEach((d) => w.u64(d));
    w.u32(t.type.id);
    w.u64(t.offset);
  }
  if (tensors.length > 0) {
    w.zeros(alignUp(w.length, alignment) - w.length);
  }
  const header = w.result();
  const last = tensors.at(-1);
  const dataBytes = last === undefined ? 0 : alignUp(last.offset + last.byteSize, alignment);
  return { header, alignment, tensors, fileSize: header.length + dataBytes };
}

function toEntries(input: GgufMetadataInput): Map<string, GgufValueInput> {
  const entries: Iterable<readonly [string, GgufValueInput]> =
    Symbol.iterator in input
      ? (input as Iterable<readonly [string, GgufValueInput]>)
      : Object.entries(input as Record<string, GgufValue>);
  const map = new Map<string, GgufValueInput>();
  for (const [key, value] of entries) {
    if (map.has(key)) {
      throw new TypeError(`metadata key '${key}' is given twice`);
    }
    map.set(key, value);
  }
  return map;
}

/** The option and `general.alignment` must agree; a non-default alignment is always recorded. */
function resolveAlignment(metadata: Map<string, GgufValueInput>, requested?: number): number {
  const entry = metadata.get("general.alignment");
  if (entry instanceof EncodedGgufValue || (entry !== undefined && entry.type !== "u32")) {
    throw new TypeError("general.alignment must be given as a u32 value");
  }
  const fromMetadata = entry?.value;
  if (requested !== undefined && fromMetadata !== undefined && requested !== fromMetadata) {
    throw new TypeError(
      `alignment ${requested} disagrees with general.alignment ${fromMetadata} in the metadata`,
    );
  }
  const alignment = requested ?? fromMetadata ?? defaultAlignment;
  if (!Number.isInteger(alignment) || alignment < 1 || (alignment & (alignment - 1)) !== 0) {
    throw new TypeError(`alignment must be a power of two, got ${alignment}`);
  }
  if (entry === undefined && alignment !== defaultAlignment) {
    metadata.set("general.alignment", { type: "u32", value: alignment });
  }
  return alignment;
}

function planTensors(specs: readonly GgufTensorSpec[], alignment: number): PlannedTensor[] {
  const names = new Set<string>();
  let offset = 0;
  return specs.map((spec) => {
    const { name, dims } = spec;
    const nameBytes = Buffer.byteLength(name);
    if (nameBytes === 0 || nameBytes > maxTensorNameBytes) {
      throw new TypeError(`tensor name '${name}' must be 1 to ${maxTensorNameBytes} bytes long`);
    }
    if (names.has(name)) {
      throw new TypeError(`tensor '${name}' is given twice`);
    }
    names.add(name);
    if (dims.length < 1 || dims.length > maxTensorDims) {
      throw new TypeError(`tensor '${name}' must have 1 to ${maxTensorDims} dimensions`);
    }
    if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new TypeError(`tensor '${name}' has an invalid dimension in [${dims.join(", ")}]`);
    }
    const type = resolveGgmlType(spec.type);
    if ((dims[0] ?? 0) % type.blockSize !== 0) {
      throw new TypeError(
        `tensor '${name}': rows of ${dims[0]} values are not a whole number of ` +
          `${type.name} blocks (${type.blockSize})`,
      );
    }
    const byteSize = bytesForElements(
      type,
      dims.reduce((a, b) => a * b, 1),
    );
    if (spec.data instanceof Uint8Array && spec.data.byteLength !== byteSize) {
      throw new TypeError(
        `tensor '${name}' needs ${byteSize} bytes of ${type.name} data, got ${spec.data.byteLength}`,
      );
    }
    const planned = { spec, type, byteSize, offset };
    offset = alignUp(offset + byteSize, alignment);
    return planned;
  });
}
