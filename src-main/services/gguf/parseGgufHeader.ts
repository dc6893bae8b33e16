import { checkTensorLayout } from "./checkTensorLayout.js";
import { describeNonGguf, ggufMagic } from "./fileSniff.js";
import {
  alignUp,
  defaultAlignment,
  defaultReadLimits,
  type GgufFile,
  type GgufReadLimits,
} from "./ggufFile.js";
import { GgufFormatError } from "./ggufFormatError.js";
import type { GgufValue } from "./ggufValues.js";
import { HeaderCursor } from "./headerCursor.js";
import { parseMetadata } from "./parseMetadata.js";
import { parseTensorInfos } from "./parseTensorInfos.js";

/**
 * Parses a GGUF header from `prefix`, the first bytes of a file of `fileSize` bytes. Throws
 * NeedMoreBytes when the header runs past the prefix (the reader then reads more) and
 * GgufFormatError when the file is not a usable GGUF.
 */
export function parseGgufHeader(
  prefix: Buffer,
  fileSize: number,
  limits: GgufReadLimits = defaultReadLimits,
): GgufFile {
  if (fileSize < 4 || !prefix.subarray(0, 4).equals(ggufMagic)) {
    throw describeNonGguf(prefix, fileSize);
  }
  const c = new HeaderCursor(prefix, fileSize);
  c.pos = 4;
  c.where = "the version number";
  const version = checkVersion(c.u32());
  c.where = "the tensor and metadata counts";
  const tensorCount = c.size("the tensor count");
  const metadataCount = c.size("the metadata count");

  const { metadata, spans } = parseMetadata(c, metadataCount, limits);
  const alignment = readAlignment(metadata.get("general.alignment"));
  const raw = parseTensorInfos(c, tensorCount, limits);
  // gguf.cpp pads to the alignment only when there are tensors.
  const dataOffset = tensorCount > 0 ? alignUp(c.pos, alignment) : c.pos;
  const tensors = checkTensorLayout(raw, dataOffset, alignment, fileSize);
  return { version, fileSize, alignment, dataOffset, metadata, tensors, metadataSpans: spans };
}

function checkVersion(version: number): number {
  if (version === 2 || version === 3) {
    return version;
  }
  if (version === 1) {
    throw new GgufFormatError(
      "this is a GGUF version 1 file, which llama.cpp no longer reads",
      "download a newer conversion of the model",
    );
  }
  if (version !== 0 && (version & 0xffff) === 0) {
    throw new GgufFormatError(
      "this GGUF file was written for big-endian machines; only little-endian files can be used",
      "download the standard (little-endian) version of the model",
    );
  }
  if (version > 3) {
    throw new GgufFormatError(
      `this is a GGUF version ${version} file; this version of Lowbit reads versions 2 and 3`,
      "update Lowbit",
    );
  }
  throw new GgufFormatError("the GGUF version number is 0: the file is corrupt");
}

function readAlignment(entry: GgufValue | undefined): number {
  if (entry === undefined) {
    return defaultAlignment;
  }
  if (entry.type !== "u32") {
    throw new GgufFormatError(
      `general.alignment must be a u32 but is a ${entry.type}: the file is corrupt`,
    );
  }
  const alignment = entry.value;
  if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
    throw new GgufFormatError(
      `general.alignment is ${alignment}, not a power of two: the file is corrupt`,
    );
  }
  return alignment;
}

/** Parses a whole GGUF file held in memory (a tiny model, a test fixture). */
export function parseGgufBuffer(bytes: Buffer, limits?: GgufReadLimits): GgufFile {
  return parseGgufHeader(bytes, bytes.length, limits);
}
