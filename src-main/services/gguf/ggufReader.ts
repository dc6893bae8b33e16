import { open, type FileHandle } from "node:fs/promises";
import { formatBytes } from "./formatBytes.js";
import { defaultReadLimits, type GgufFile, type GgufReadLimits } from "./ggufFile.js";
import { GgufFormatError } from "./ggufFormatError.js";
import { NeedMoreBytes } from "./headerCursor.js";
import { parseGgufHeader } from "./parseGgufHeader.js";

export interface ReadGgufOptions {
  /** Caps that stop a hostile header from eating memory. Defaults to defaultReadLimits. */
  readonly limits?: Partial<GgufReadLimits>;
}

/** Most headers (vocabularies included) fit in the first read. */
const firstReadBytes = 4 * 2 ** 20;

/**
 * Reads and checks a GGUF file's header — metadata, tensor infos, and that every tensor's data
 * lies inside the file — without reading the tensor data. Throws GgufFormatError for anything a
 * broken, truncated or hostile file can get wrong.
 */
export async function readGgufFile(path: string, options: ReadGgufOptions = {}): Promise<GgufFile> {
  const limits = { ...defaultReadLimits, ...options.limits };
  const file = await open(path, "r");
  try {
    const stat = await file.stat();
    if (!stat.isFile()) {
      throw new GgufFormatError("this is not a regular file", "pick a .gguf model file");
    }
    const fileSize = stat.size;
    let prefix = await readPrefix(file, Math.min(fileSize, firstReadBytes, limits.maxHeaderBytes));
    for (;;) {
      try {
        return parseGgufHeader(prefix, fileSize, limits);
      } catch (error) {
        if (!(error instanceof NeedMoreBytes)) {
          throw error;
        }
        if (error.upTo > limits.maxHeaderBytes) {
          throw new GgufFormatError(
            `the header is larger than ${formatBytes(limits.maxHeaderBytes)}, far more than ` +
              "any model needs: the file is corrupt",
          );
        }
        const wanted = Math.max(error.upTo, prefix.length * 2);
        const longer = await readPrefix(file, Math.min(fileSize, limits.maxHeaderBytes, wanted));
        if (longer.length < error.upTo) {
          throw new GgufFormatError(
            "the file got shorter while it was being read",
            "wait until the download or copy has finished, then try again",
          );
        }
        prefix = longer;
      }
    }
  } finally {
    await file.close();
  }
}

async function readPrefix(file: FileHandle, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, filled);
    if (bytesRead === 0) {
      break;
    }
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
