import { statfs } from "node:fs/promises";
import { AppError } from "../../contract/index.js";
import { formatBytes } from "../gguf/formatBytes.js";

/** Refuses before writing when the disk cannot hold `needed` bytes plus a small margin. */
export async function ensureFreeSpace(folder: string, needed: number, what: string): Promise<void> {
  const stats = await statfs(folder);
  const free = stats.bavail * stats.bsize;
  const margin = 64 * 2 ** 20;
  if (free < needed + margin) {
    throw new AppError(
      "disk_full",
      `Not enough disk space for ${what}: it needs ${formatBytes(needed)}, ${formatBytes(free)} is free in ${folder}.`,
      "Free some space, or import with “link” to use the file where it is without copying it.",
    );
  }
}

/** Node's stream errors for a full disk, as our error. */
export function asDiskFullError(error: unknown, folder: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new AppError(
      "disk_full",
      `The disk filled up while writing to ${folder}.`,
      "Free some space and try again.",
    );
  }
  return error;
}
