import { open, type FileHandle } from "node:fs/promises";

/** Where downloaded bytes go; tests swap in one that fills the disk. */
export interface PartWriter {
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Closes; `durable` first flushes to the disk itself (fsync), as a finished file must be before
   * it is registered. An interrupted transfer skips that: a resume trusts only the file's size,
   * and the sha256 check catches a tail a power cut may have left unwritten.
   */
  close(durable: boolean): Promise<void>;
}

/** Opens `path` to write from byte `offset` on, dropping anything stored past it. */
export type OpenWriter = (path: string, offset: number) => Promise<PartWriter>;

export const openFileWriter: OpenWriter = async (path, offset) => {
  const file: FileHandle = await open(path, offset === 0 ? "w" : "r+");
  let position = offset;
  try {
    await file.truncate(offset);
  } catch (error) {
    await file.close();
    throw error;
  }
  return {
    async write(chunk) {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await file.write(chunk, done, chunk.length - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    },
    async close(durable) {
      try {
        if (durable) {
          await file.datasync();
        }
      } finally {
        await file.close();
      }
    },
  };
};
