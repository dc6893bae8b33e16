import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { alignUp } from "./ggufFile.js";
import { GgufFormatError } from "./ggufFormatError.js";
import {
  planGgufLayout,
  type GgufMetadataInput,
  type GgufTensorSpec,
  type PlannedTensor,
} from "./planGgufLayout.js";

export interface WriteGgufOptions {
  /** Tensor data alignment in bytes, a power of two. Defaults to general.alignment, else 32. */
  readonly alignment?: number;
  /** Aborting stops the copy and removes the partial file. */
  readonly signal?: AbortSignal;
  /** Called after each chunk with bytes written so far and the final file size. */
  readonly onProgress?: (writtenBytes: number, totalBytes: number) => void;
}

export interface WrittenGguf {
  readonly path: string;
  readonly fileSize: number;
  readonly dataOffset: number;
}

/** Copies stream through a buffer this big: large enough to be fast, small enough to not matter. */
const copyChunkBytes = 8 * 2 ** 20;

/**
 * Writes a GGUF v3 file. The data goes to `<path>.partial`, which is renamed to `path` only once
 * everything is written and flushed; on any error (or abort) the partial file is removed.
 */
export async function writeGgufFile(
  path: string,
  contents: { readonly metadata: GgufMetadataInput; readonly tensors: readonly GgufTensorSpec[] },
  options: WriteGgufOptions = {},
): Promise<WrittenGguf> {
  const layout = planGgufLayout(contents.metadata, contents.tensors, options.alignment);
  options.signal?.throwIfAborted();
  const partial = `${path}.partial`;
  const out = await open(partial, "w");
  const sources = new SourceFiles();
  let closed = false;
  try {
    const sink = new Sink(out, layout.fileSize, options);
    await sink.write(layout.header);
    for (const tensor of layout.tensors) {
      await sink.write(Buffer.alloc(layout.header.length + tensor.offset - sink.written));
      await writeTensorData(sink, tensor, sources);
    }
    if (layout.tensors.length > 0) {
      // Like llama.cpp, pad after the last tensor too.
      await sink.write(Buffer.alloc(alignUp(sink.written, layout.alignment) - sink.written));
    }
    await out.sync();
    closed = true;
    await out.close();
    await rename(partial, path);
    return { path, fileSize: layout.fileSize, dataOffset: layout.header.length };
  } catch (error) {
    if (!closed) {
      await out.close().catch(() => undefined);
    }
    await rm(partial, { force: true });
    throw error;
  } finally {
    await sources.closeAll();
  }
}

async function writeTensorData(sink: Sink, tensor: PlannedTensor, sources: SourceFiles) {
  const { data, name } = tensor.spec;
  if (data instanceof Uint8Array) {
    await sink.write(data);
    return;
  }
  const source = await sources.get(data.path);
  const chunk = Buffer.alloc(Math.min(copyChunkBytes, tensor.byteSize));
  let copied = 0;
  while (copied < tensor.byteSize) {
    const want = Math.min(chunk.length, tensor.byteSize - copied);
    const { bytesRead } = await source.read(chunk, 0, want, data.offset + copied);
    if (bytesRead === 0) {
      throw new GgufFormatError(
        `${data.path} ended before the data of tensor '${name}' was complete: the source file ` +
          "is truncated",
        "download or create the source model again",
      );
    }
    await sink.write(chunk.subarray(0, bytesRead));
    copied += bytesRead;
  }
}

/** Sequential writes with progress and cancellation between chunks. */
class Sink {
  written = 0;

  constructor(
    private readonly file: FileHandle,
    private readonly total: number,
    private readonly options: WriteGgufOptions,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    this.options.signal?.throwIfAborted();
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.file.write(bytes, done, bytes.byteLength - done);
      done += bytesWritten;
    }
    this.written += done;
    if (done > 0) {
      this.options.onProgress?.(this.written, this.total);
    }
  }
}

/** Source files opened once each, however many tensors are copied from them. */
class SourceFiles {
  private readonly open = new Map<string, Promise<FileHandle>>();

  get(path: string): Promise<FileHandle> {
    let handle = this.open.get(path);
    if (handle === undefined) {
      handle = open(path, "r");
      this.open.set(path, handle);
    }
    return handle;
  }

  async closeAll(): Promise<void> {
    const handles = await Promise.allSettled(this.open.values());
    await Promise.all(handles.map((h) => (h.status === "fulfilled" ? h.value.close() : undefined)));
  }
}
