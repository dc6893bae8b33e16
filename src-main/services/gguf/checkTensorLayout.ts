import { formatBytePair, formatBytes } from "./formatBytes.js";
import { alignUp, type GgufTensorInfo } from "./ggufFile.js";
import { GgufFormatError } from "./ggufFormatError.js";
import type { RawTensorInfo } from "./parseTensorInfos.js";

/**
 * llama.cpp (gguf.cpp) requires tensor data to be packed in header order, each tensor aligned,
 * and (llama-model-loader) every tensor's bytes to lie inside the file. A short file is almost
 * always an interrupted download, so that case gets its own message.
 */
export function checkTensorLayout(
  raw: readonly RawTensorInfo[],
  dataOffset: number,
  alignment: number,
  fileSize: number,
): GgufTensorInfo[] {
  let expected = 0;
  const tensors = raw.map((t) => {
    if (t.offset % alignment !== 0) {
      throw new GgufFormatError(
        `tensor '${t.name}' starts at byte ${t.offset} of the data section, which is not a ` +
          `multiple of the file's alignment (${alignment}): the file is corrupt`,
      );
    }
    if (t.offset !== expected) {
      throw new GgufFormatError(
        `tensor '${t.name}' starts at byte ${t.offset} of the data section, but llama.cpp ` +
          `expects tensors back to back in header order, so at byte ${expected}: ` +
          "the file is corrupt",
      );
    }
    expected = alignUp(t.offset + t.byteSize, alignment);
    return { ...t, fileOffset: dataOffset + t.offset };
  });

  const last = tensors.at(-1);
  const completeSize = last === undefined ? dataOffset : last.fileOffset + last.byteSize;
  if (dataOffset > fileSize && tensors.length > 0) {
    throw truncated(
      `the tensor data should start at ${formatBytes(dataOffset)}`,
      fileSize,
      completeSize,
    );
  }
  const short = tensors.find((t) => t.fileOffset + t.byteSize > fileSize);
  if (short !== undefined) {
    const [ends, needs] = formatBytePair(fileSize, short.fileOffset + short.byteSize);
    throw truncated(`tensor ${short.name} needs data up to ${needs}`, fileSize, completeSize, ends);
  }
  return tensors;
}

function truncated(what: string, fileSize: number, completeSize: number, ends?: string) {
  return new GgufFormatError(
    `the file ends at ${ends ?? formatBytes(fileSize)} but ${what} ` +
      `(the complete file is at least ${formatBytes(completeSize)}): the file is truncated`,
    "download it again",
  );
}
