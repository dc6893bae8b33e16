import { open } from "node:fs/promises";
import { EncodedGgufValue, type GgufValueInput } from "./encodeMetadata.js";
import type { GgufFile } from "./ggufFile.js";
import { readGgufFile } from "./ggufReader.js";
import type { GgufValue } from "./ggufValues.js";
import { writeGgufFile, type WriteGgufOptions, type WrittenGguf } from "./ggufWriter.js";

/**
 * Edits the metadata map in place (may be async): set, replace or delete keys. Values left
 * untouched are copied byte for byte; `general.alignment` may not change (the data would need
 * re-padding).
 */
export type MetadataEdit = (metadata: Map<string, GgufValue>) => unknown;

/**
 * Writes a copy of `sourcePath` to `targetPath` with edited metadata and the same tensors,
 * streaming the tensor data rather than loading it — how an export adds provenance keys to a
 * multi-GB model. Same guarantees as writeGgufFile: `.partial` then rename.
 */
export async function rewriteGgufMetadata(
  sourcePath: string,
  targetPath: string,
  edit: MetadataEdit,
  options: Omit<WriteGgufOptions, "alignment"> = {},
): Promise<WrittenGguf> {
  const source = await readGgufFile(sourcePath);
  const original = source.metadata;
  const edited = new Map(original);
  await edit(edited);
  const alignment = edited.get("general.alignment");
  if (alignment !== original.get("general.alignment")) {
    throw new TypeError("a metadata rewrite cannot change general.alignment");
  }

  const header = await readHeaderBytes(sourcePath, source);
  const metadata = new Map<string, GgufValueInput>();
  for (const [key, value] of edited) {
    const span = source.metadataSpans.get(key);
    const unchanged = value === original.get(key) && key !== "general.alignment";
    metadata.set(
      key,
      unchanged && span !== undefined
        ? new EncodedGgufValue(header.subarray(span.start, span.end))
        : value,
    );
  }
  const tensors = source.tensors.map((t) => ({
    name: t.name,
    dims: t.dims,
    type: t.type,
    data: { path: sourcePath, offset: t.fileOffset },
  }));
  return writeGgufFile(
    targetPath,
    { metadata, tensors },
    { ...options, alignment: source.alignment },
  );
}

async function readHeaderBytes(path: string, file: GgufFile): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const bytes = Buffer.alloc(file.dataOffset);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) {
        throw new Error(`${path} got shorter while it was being rewritten`);
      }
      filled += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}
