import { readFileSync } from "node:fs";
import path from "node:path";
import {
  ggufValue,
  readGgufFile,
  writeGgufFile,
  writeTinyModel,
  type GgufValue,
} from "../../../src-main/services/gguf/index.js";

/** A small llama GGUF (about 1 MB) whose bytes differ with `seed`. */
export async function tinyModelBytes(dir: string, seed: number): Promise<Buffer> {
  const file = path.join(dir, `seed-${seed}.gguf`);
  await writeTinyModel({ path: file, seed, embd: 256, layers: 1, ff: 256, vocab: 259 });
  return readFileSync(file);
}

/**
 * The tiny model split the way llama.cpp's gguf-split does: every part carries split.no,
 * split.count and split.tensors.count; the first part also carries the model's metadata.
 */
export async function splitTinyModel(
  dir: string,
  seed: number,
  parts = 2,
): Promise<{ whole: Buffer; parts: Buffer[] }> {
  const wholePath = path.join(dir, `whole-${seed}.gguf`);
  await writeTinyModel({ path: wholePath, seed, embd: 256, layers: 2, ff: 256, vocab: 259 });
  const file = await readGgufFile(wholePath);
  const perPart = Math.ceil(file.tensors.length / parts);
  const result: Buffer[] = [];
  for (let i = 0; i < parts; i++) {
    const split: Array<[string, GgufValue]> = [
      ["split.no", ggufValue.u16(i)],
      ["split.count", ggufValue.u16(parts)],
      ["split.tensors.count", ggufValue.i32(file.tensors.length)],
    ];
    const metadata = i === 0 ? [...file.metadata.entries(), ...split] : split;
    const tensors = file.tensors.slice(i * perPart, (i + 1) * perPart).map((t) => ({
      name: t.name,
      dims: t.dims,
      type: t.type,
      data: { path: wholePath, offset: t.fileOffset },
    }));
    const out = path.join(dir, `split-${seed}-${i}.gguf`);
    await writeGgufFile(out, { metadata, tensors });
    result.push(readFileSync(out));
  }
  return { whole: readFileSync(wholePath), parts: result };
}

/** The tiny model with one tensor stored as ggml type 99, which no llama.cpp knows. */
export async function unknownTypeModel(dir: string): Promise<Buffer> {
  const bytes = Buffer.from(await tinyModelBytes(dir, 99));
  const name = Buffer.from("blk.0.attn_q.weight");
  const at = bytes.indexOf(name);
  // name, then n_dims (u32), the dims (u64 each), then the type id (u32).
  const dims = bytes.readUInt32LE(at + name.length);
  bytes.writeUInt32LE(99, at + name.length + 4 + dims * 8);
  return bytes;
}
