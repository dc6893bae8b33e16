/**
 * Byte-level GGUF building blocks for corrupt-file tests: unlike the writer, these write
 * whatever they are told, including counts, types and offsets that make no sense.
 */
export const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

export const u64 = (n: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

export const str = (s: string | Buffer) => {
  const bytes = typeof s === "string" ? Buffer.from(s, "utf8") : s;
  return Buffer.concat([u64(bytes.length), bytes]);
};

/** A key/value entry with a u32 value (type id 4) unless another raw value is given. */
export const kv = (key: string, typeId = 4, value: Buffer = u32(1)) =>
  Buffer.concat([str(key), u32(typeId), value]);

export const tensorInfo = (name: string, dims: readonly number[], typeId: number, offset: number) =>
  Buffer.concat([
    str(name),
    u32(dims.length),
    ...dims.map((d) => u64(d)),
    u32(typeId),
    u64(offset),
  ]);

export interface RawGgufParts {
  magic?: string;
  version?: number;
  tensorCount?: number | bigint;
  kvCount?: number | bigint;
  kvs?: readonly Buffer[];
  infos?: readonly Buffer[];
  alignment?: number;
  /** Bytes after the padding that follows the tensor infos. */
  data?: Buffer;
}

export function rawGguf(p: RawGgufParts): Buffer {
  const kvs = p.kvs ?? [];
  const infos = p.infos ?? [];
  const head = Buffer.concat([
    Buffer.from(p.magic ?? "GGUF", "latin1"),
    u32(p.version ?? 3),
    u64(p.tensorCount ?? infos.length),
    u64(p.kvCount ?? kvs.length),
    ...kvs,
    ...infos,
  ]);
  const alignment = p.alignment ?? 32;
  const padding = infos.length > 0 ? (alignment - (head.length % alignment)) % alignment : 0;
  return Buffer.concat([head, Buffer.alloc(padding), p.data ?? Buffer.alloc(0)]);
}
