import { readFile, truncate, writeFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import {
  GgufFormatError,
  parseGgufBuffer,
  readGgufFile,
  writeTinyModel,
  type GgufFile,
} from "../../../src-main/services/gguf/index.js";
import { kv, rawGguf, str, tensorInfo, u32, u64 } from "./rawGguf.js";
import { useTempDir } from "./tempDir.js";

const tmp = useTempDir();
let counter = 0;

/** Writes `bytes` to a fresh file and returns what reading it throws. */
async function failure(bytes: Buffer | string): Promise<GgufFormatError> {
  const path = tmp.path(`bad-${counter++}.gguf`);
  await writeFile(path, bytes);
  return failureAt(path);
}

async function failureAt(path: string): Promise<GgufFormatError> {
  const error = await readGgufFile(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GgufFormatError);
  return error as GgufFormatError;
}

describe("files that are not GGUF at all", () => {
  const cases: [string, Buffer | string, RegExp][] = [
    ["an empty file", "", /the file is empty/],
    ["a text file", "Hello, this is a README.\nNothing to see here.\n", /text file/],
    ["a PNG image", Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), /PNG image/],
    ["an HTML page", "\n<!DOCTYPE html><html><body>Sign in</body></html>", /web page \(HTML\)/],
    [
      "a Git LFS pointer",
      "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n",
      /Git LFS pointer/,
    ],
    ["a JSON file", '{"error": "not found"}', /JSON file/],
    [
      "a safetensors file",
      Buffer.concat([u64(20), Buffer.from('{"__metadata__":{}}  ')]),
      /safetensors/,
    ],
    [
      "an old GGML model",
      Buffer.concat([Buffer.from("tjgg"), u32(3), Buffer.alloc(64)]),
      /old GGML/,
    ],
    [
      "a zip archive",
      Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), Buffer.alloc(40)]),
      /ZIP/,
    ],
    [
      "random bytes",
      Buffer.from([0x00, 0x13, 0x37, 0x00, 0x99, 0xee, 0x01, 0x02]),
      /GGUF signature/,
    ],
    ["a truncated signature", "GGU", /only 3 bytes long: the file is truncated/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`explains ${what}`, async () => {
      const error = await failure(bytes);
      expect(error.message).toMatch(message);
    });
  }
});

describe("GGUF headers that are wrong", () => {
  it("rejects unsupported versions with the reason", async () => {
    expect((await failure(rawGguf({ version: 1 }))).message).toMatch(/version 1.*no longer/);
    expect((await failure(rawGguf({ version: 4 }))).message).toMatch(/version 4.*update Lowbit/);
    expect((await failure(rawGguf({ version: 0x03000000 }))).message).toMatch(/big-endian/);
    expect((await failure(rawGguf({ version: 0 }))).message).toMatch(/version number is 0/);
  });

  it("rejects absurd counts before allocating anything", async () => {
    expect((await failure(rawGguf({ tensorCount: 2n ** 40n }))).message).toMatch(
      /claims 1099511627776 tensors, but the whole file is only/,
    );
    expect((await failure(rawGguf({ kvCount: 1_000_000 }))).message).toMatch(
      /claims 1000000 metadata entries/,
    );
    expect((await failure(rawGguf({ kvCount: 2n ** 63n }))).message).toMatch(
      /no real model file has: the file is corrupt/,
    );
  });

  it("rejects absurd string and array lengths", async () => {
    const hugeString = kv("general.name", 8, u64(2n ** 40n));
    expect((await failure(rawGguf({ kvs: [hugeString] }))).message).toMatch(
      /a string of 1\.1 TB in metadata key 'general\.name'/,
    );
    const hugeKey = Buffer.concat([u64(10_000_000), Buffer.alloc(100)]);
    expect((await failure(rawGguf({ kvs: [hugeKey] }))).message).toMatch(/a key of 10\.0 MB/);
    const hugeArray = kv("tokenizer.ggml.tokens", 9, Buffer.concat([u32(8), u64(5_000_000)]));
    expect((await failure(rawGguf({ kvs: [hugeArray] }))).message).toMatch(
      /array of 5000000 items, more than the rest of the file/,
    );
    const overLimit = kv("x", 9, Buffer.concat([u32(0), u64(2n ** 30n)]));
    expect((await failure(rawGguf({ kvs: [overLimit] }))).message).toMatch(
      /more than any model needs \(limit 16777216\)/,
    );
  });

  it("rejects deeply nested arrays", async () => {
    let value = Buffer.concat([u32(0), u64(0)]);
    for (let i = 0; i < 6; i++) {
      value = Buffer.concat([u32(9), u64(1), value]);
    }
    const nested = kv("deep", 9, value);
    expect((await failure(rawGguf({ kvs: [nested] }))).message).toMatch(/nests arrays more than 4/);
  });

  it("rejects unknown value types, duplicate keys and empty keys", async () => {
    expect((await failure(rawGguf({ kvs: [kv("a", 13, u32(0))] }))).message).toMatch(
      /metadata key 'a' has an unknown value type \(13\)/,
    );
    expect((await failure(rawGguf({ kvs: [kv("a"), kv("a")] }))).message).toMatch(
      /key 'a' appears twice/,
    );
    expect((await failure(rawGguf({ kvs: [kv("")] }))).message).toMatch(/empty key/);
  });

  it("rejects a bad general.alignment", async () => {
    const as = (typeId: number, value: Buffer) =>
      rawGguf({ kvs: [kv("general.alignment", typeId, value)] });
    expect((await failure(as(4, u32(48)))).message).toMatch(/48, not a power of two/);
    expect((await failure(as(4, u32(0)))).message).toMatch(/0, not a power of two/);
    expect((await failure(as(10, u64(32)))).message).toMatch(/must be a u32 but is a u64/);
  });

  it("rejects impossible tensor infos", async () => {
    const withTensor = (info: Buffer, data = Buffer.alloc(64)) => rawGguf({ infos: [info], data });
    const fails = async (info: Buffer) => (await failure(withTensor(info))).message;
    expect(await fails(tensorInfo("t", [1, 1, 1, 1, 1], 0, 0))).toMatch(/claims 5 dimensions/);
    expect(await fails(tensorInfo("t", [2 ** 30, 2 ** 30], 0, 0))).toMatch(
      /more elements than any model has/,
    );
    expect(await fails(tensorInfo("t", [16], 99, 0))).toMatch(
      /tensor 't' uses ggml type 99, which this version of Lowbit does not know/,
    );
    expect(await fails(tensorInfo("t", [32], 31, 0))).toMatch(/Q4_0_4_4.*cannot load/);
    expect(await fails(tensorInfo("t", [100], 12, 0))).toMatch(
      /rows of 100 values, not a multiple of the Q4_K block size \(256\)/,
    );
    expect(await fails(tensorInfo("x".repeat(64), [4], 0, 0))).toMatch(/longer than llama.cpp/);
    expect(await fails(tensorInfo("t", [4], 0, 8))).toMatch(
      /not a multiple of the file's alignment/,
    );
    const twice = rawGguf({ infos: [tensorInfo("t", [4], 0, 0), tensorInfo("t", [4], 0, 32)] });
    expect((await failure(twice)).message).toMatch(/tensor 't' appears twice/);
    const gap = rawGguf({
      infos: [tensorInfo("a", [4], 0, 0), tensorInfo("b", [4], 0, 64)],
      data: Buffer.alloc(96),
    });
    expect((await failure(gap)).message).toMatch(/'b' starts at byte 64.*at byte 32/);
  });
});

describe("truncated files", () => {
  let model = "";
  let file: GgufFile;
  beforeAll(async () => {
    model = tmp.path("tiny.gguf");
    await writeTinyModel({ path: model, type: "f32" });
    file = await readGgufFile(model);
  });

  it("names the first tensor whose data is cut off and says to download again", async () => {
    const bytes = await readFile(model);
    // Cut inside the 4th-from-last tensor; work out independently which tensor that hits.
    const victim = file.tensors.at(-4)!;
    const cut = victim.fileOffset + Math.floor(victim.byteSize / 2);
    const path = tmp.path("cut-data.gguf");
    await writeFile(path, bytes.subarray(0, cut));
    const error = await failureAt(path);
    expect(error.message).toContain(`tensor ${victim.name} needs data up to`);
    expect(error.message).toMatch(/the file is truncated — download it again$/);
    expect(error.problem).toMatch(/^the file ends at \d/);
    expect(error.hint).toBe("download it again");
    expect(error.toData()).toEqual({
      code: "bad_model_file",
      message: error.problem,
      hint: error.hint,
    });
  });

  it("notices a file that is one byte short", async () => {
    const path = tmp.path("one-short.gguf");
    await writeFile(path, await readFile(model));
    const last = file.tensors.at(-1)!;
    await truncate(path, last.fileOffset + last.byteSize - 1);
    const error = await failureAt(path);
    // Both sizes round to the same text, so the exact byte counts are shown.
    expect(error.message).toContain(`tensor ${last.name} needs data up to`);
    expect(error.message).toContain(
      `${(last.fileOffset + last.byteSize).toLocaleString("en-US")} bytes`,
    );
  });

  it("says where in the header a file was cut", async () => {
    const bytes = await readFile(model);
    // The first "<|im_start|>" is near the end of the token list (the chat template comes later).
    const lateToken = bytes.indexOf("<|im_start|>");
    const cases: [number, RegExp][] = [
      [10, /in the middle of the tensor and metadata counts/],
      [lateToken + 3, /in the middle of metadata key 'tokenizer\.ggml\.tokens'/],
      [file.dataOffset - 40, /in the middle of tensor/],
    ];
    for (const [length, message] of cases) {
      const error = await failure(bytes.subarray(0, length));
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(/truncated — download it again$/);
    }
  });

  it("parses a complete header held in memory", () => {
    return readFile(model).then((bytes) => {
      const parsed = parseGgufBuffer(bytes);
      expect(parsed.tensors.map((t) => t.name)).toEqual(file.tensors.map((t) => t.name));
    });
  });
});

describe("limits", () => {
  it("reads headers bigger than the first read, and refuses ones over the cap", async () => {
    const big = "x".repeat(5 * 2 ** 20);
    const bytes = rawGguf({ kvs: [kv("big", 8, str(big)), kv("after")] });
    const path = tmp.path("big-header.gguf");
    await writeFile(path, bytes);
    const file = await readGgufFile(path);
    expect(file.metadata.get("after")).toEqual({ type: "u32", value: 1 });
    await expect(readGgufFile(path, { limits: { maxHeaderBytes: 2 ** 20 } })).rejects.toThrow(
      /header is larger than 1\.0 MB/,
    );
    await expect(readGgufFile(path, { limits: { maxStringBytes: 1000 } })).rejects.toThrow(
      /a string of 5\.2 MB in metadata key 'big'/,
    );
  });
});
