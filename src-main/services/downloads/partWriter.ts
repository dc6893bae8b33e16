import { open, type FileHandle } from "node:fs/promises";

/** Where downloaded bytes go; tests swap in one that fills the disk. */
export interface PartWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes to disk and closes. */
  close(): Promise<void>;
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
    async close() {
      try {
        await file.datasync();
      } finally {
        await file.close();
      }
    },
  };
};
