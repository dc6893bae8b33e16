import {
  bytesForElements,
  ggmlTypeById,
  removedGgmlTypes,
  type GgmlTypeInfo,
} from "./ggmlTypes.js";
import { formatBytes } from "./formatBytes.js";
import { maxTensorDims, maxTensorNameBytes, type GgufReadLimits } from "./ggufFile.js";
import { GgufFormatError } from "./ggufFormatError.js";
import type { HeaderCursor } from "./headerCursor.js";
import { readString } from "./parseMetadata.js";

/** A tensor info as stored: name length (8) + 1-byte name + n_dims (4) + type (4) + offset (8). */
const minTensorInfoBytes = 25;

export interface RawTensorInfo {
  name: string;
  dims: number[];
  type: GgmlTypeInfo;
  elements: number;
  byteSize: number;
  offset: number;
}

export function parseTensorInfos(
  c: HeaderCursor,
  count: number,
  limits: GgufReadLimits,
): RawTensorInfo[] {
  if (count * minTensorInfoBytes > c.fileRemaining) {
    throw new GgufFormatError(
      `the header claims ${count} tensors, but the whole file is only ` +
        `${formatBytes(c.fileSize)}: the file is corrupt`,
    );
  }
  const names = new Set<string>();
  const tensors: RawTensorInfo[] = [];
  for (let i = 0; i < count; i++) {
    c.where = `tensor info ${i + 1} of ${count}`;
    // Names over 63 bytes are refused below; the cap only stops a corrupt length early.
    const name = readString(c, Math.min(limits.maxStringBytes, 4096), "tensor name");
    if (Buffer.byteLength(name) > maxTensorNameBytes) {
      throw new GgufFormatError(
        `tensor name '${name.slice(0, 80)}' is longer than llama.cpp allows ` +
          `(${maxTensorNameBytes} bytes): the file is corrupt`,
      );
    }
    if (names.has(name)) {
      throw new GgufFormatError(`the tensor '${name}' appears twice: the file is corrupt`);
    }
    names.add(name);
    c.where = `tensor '${name}'`;
    tensors.push(readTensorShape(c, name));
  }
  return tensors;
}

function readTensorShape(c: HeaderCursor, name: string): RawTensorInfo {
  const nDims = c.u32();
  if (nDims > maxTensorDims) {
    throw new GgufFormatError(
      `tensor '${name}' claims ${nDims} dimensions (ggml allows ${maxTensorDims}): ` +
        "the file is corrupt",
    );
  }
  const dims: number[] = [];
  let elements = 1;
  for (let d = 0; d < nDims; d++) {
    const n = c.size(`dimension ${d}`);
    dims.push(n);
    elements *= n;
    if (!Number.isSafeInteger(elements)) {
      throw new GgufFormatError(
        `tensor '${name}' claims more elements than any model has: the file is corrupt`,
      );
    }
  }
  const type = readGgmlType(c, name);
  const rowLength = dims[0] ?? 1;
  if (rowLength % type.blockSize !== 0) {
    throw new GgufFormatError(
      `tensor '${name}' has rows of ${rowLength} values, not a multiple of the ` +
        `${type.name} block size (${type.blockSize}): the file is corrupt`,
    );
  }
  const byteSize = bytesForElements(type, elements);
  const offset = c.size("the data offset");
  return { name, dims, type, elements, byteSize, offset };
}

function readGgmlType(c: HeaderCursor, name: string): GgmlTypeInfo {
  const id = c.u32();
  const type = ggmlTypeById(id);
  if (type !== undefined) {
    return type;
  }
  const removed = removedGgmlTypes.get(id);
  if (removed !== undefined) {
    throw new GgufFormatError(
      `tensor '${name}' is stored as ${removed}, which current llama.cpp cannot load`,
      "download a newer conversion of this model",
    );
  }
  throw new GgufFormatError(
    `tensor '${name}' uses ggml type ${id}, which this version of Lowbit does not know: ` +
      "the file is corrupt or needs a newer llama.cpp",
    "update Lowbit, or use a file quantized with a standard type",
  );
}
