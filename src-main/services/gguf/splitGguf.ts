import path from "node:path";
import type { GgufFile } from "./ggufFile.js";
import { GgufFormatError } from "./ggufFormatError.js";
import { metaNumber } from "./ggufMetadata.js";
import { readGgufFile } from "./ggufReader.js";

/**
 * Split GGUFs (llama.cpp's gguf-split): `<prefix>-00001-of-00003.gguf` … `-00003-of-00003.gguf`,
 * each holding some of the tensors; the first also holds the model's metadata. llama.cpp is given
 * the first part and opens the others by this exact name pattern next to it (`llama_split_path`).
 */
const splitPattern = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i;

export interface SplitName {
  prefix: string;
  /** 1-based, as in the file name. */
  index: number;
  count: number;
}

export function parseSplitName(fileName: string): SplitName | null {
  const match = splitPattern.exec(fileName);
  if (match === null) {
    return null;
  }
  const index = Number(match[2]);
  const count = Number(match[3]);
  if (index < 1 || count < 2 || index > count) {
    return null;
  }
  return { prefix: match[1] ?? "", index, count };
}

/** The file name of part `index` (1-based) of `count`. */
export function splitPartName(prefix: string, index: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, "0");
  return `${prefix}-${pad(index)}-of-${pad(count)}.gguf`;
}

/** Every part's name, given any one of them; a plain name gives itself. */
export function splitSetNames(fileName: string): string[] {
  const split = parseSplitName(fileName);
  if (split === null) {
    return [fileName];
  }
  return Array.from({ length: split.count }, (_, i) =>
    splitPartName(split.prefix, i + 1, split.count),
  );
}

/** `split.count` of a parsed header; 1 for an ordinary file. */
export function splitCount(file: GgufFile): number {
  return Math.max(1, metaNumber(file.metadata, "split.count") ?? 1);
}

/**
 * One view of a split model: the first part's metadata with every part's tensors, and the size
 * of all parts together, so validation and summaries see the whole model. `partPaths` defaults
 * to the names llama.cpp will open; a download passes its own (partial) paths.
 */
export async function readSplitModel(
  firstPath: string,
  first: GgufFile,
  partPaths?: readonly string[],
): Promise<GgufFile> {
  const count = splitCount(first);
  if (count === 1) {
    return first;
  }
  if ((metaNumber(first.metadata, "split.no") ?? 0) !== 0) {
    throw new GgufFormatError(
      `${path.basename(firstPath)} is not the first part of a split model`,
      "open the part named …-00001-of-… instead",
    );
  }
  const paths = partPaths ?? defaultPartPaths(firstPath, count);
  if (paths.length !== count) {
    throw new GgufFormatError(
      `the model is split into ${count} files, but ${paths.length} were given`,
    );
  }
  const tensors = [...first.tensors];
  let fileSize = first.fileSize;
  for (let i = 1; i < count; i++) {
    const partPath = paths[i]!;
    const part = await readGgufFile(partPath).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new GgufFormatError(
          `part ${i + 1} of ${count} of this split model is missing (${path.basename(partPath)})`,
          "keep every part of a split model in the same folder, with its original name",
        );
      }
      throw error;
    });
    if (metaNumber(part.metadata, "split.no") !== i) {
      throw new GgufFormatError(
        `${path.basename(partPath)} is not part ${i + 1} of this split model`,
        "get the parts of one model again, from the same place",
      );
    }
    tensors.push(...part.tensors);
    fileSize += part.fileSize;
  }
  return { ...first, tensors, fileSize };
}

function defaultPartPaths(firstPath: string, count: number): string[] {
  const split = parseSplitName(path.basename(firstPath));
  if (split === null || split.count !== count) {
    throw new GgufFormatError(
      `${path.basename(firstPath)} is part of a ${count}-file split model, but its name does ` +
        "not end in -00001-of-0000N.gguf, so llama.cpp cannot find the other parts",
      "keep the original file names of a split model",
    );
  }
  const dir = path.dirname(firstPath);
  return splitSetNames(path.basename(firstPath)).map((name) => path.join(dir, name));
}

/** The paths of every part of the model at `filePath` (itself alone for an ordinary file). */
export function splitSetPaths(filePath: string): string[] {
  const dir = path.dirname(filePath);
  return splitSetNames(path.basename(filePath)).map((name) => path.join(dir, name));
}
