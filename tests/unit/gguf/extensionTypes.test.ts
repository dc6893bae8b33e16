import { describe, expect, it } from "vitest";
import {
  bitsPerWeight,
  bytesForElements,
  ggmlTypeById,
  ggmlTypeByName,
  readGgufFile,
  validateModel,
  writeGgufFile,
  writeTinyModel,
} from "../../../src-main/services/gguf/index.js";
import { llamaFileTypeById } from "../../../src-main/services/gguf/llamaFileTypes.js";
import { useTempDir } from "./tempDir.js";

const tmp = useTempDir();

describe("Lowbit's own ggml types (PTQTP)", () => {
  it("have the ids, block sizes and bits per weight of native/ggml-ext", () => {
    expect(ggmlTypeById(96)).toMatchObject({ name: "PTQTP1", blockSize: 256, typeSize: 112 });
    expect(ggmlTypeById(97)).toMatchObject({ name: "PTQTP2", blockSize: 256, typeSize: 136 });
    expect(bitsPerWeight("PTQTP1")).toBe(3.5);
    expect(bitsPerWeight("ptqtp2")).toBe(4.25);
    expect(bytesForElements("PTQTP1", 512 * 1024)).toBe(2 * 1024 * 112);
    expect(() => bytesForElements("PTQTP2", 128)).toThrow(/not a whole number of PTQTP2 blocks/);
    expect(llamaFileTypeById(96)?.description).toBe("PTQTP1 - 3.5 bpw dual trit-plane");
  });

  it("round-trip through Lowbit's GGUF writer and reader", async () => {
    const path = tmp.path("ptqtp.gguf");
    const data = new Uint8Array(2 * 136).map((_, i) => i % 251);
    await writeGgufFile(path, {
      metadata: { "general.architecture": { type: "string", value: "llama" } },
      tensors: [{ name: "blk.0.ffn_up.weight", dims: [256, 2], type: "PTQTP2", data }],
    });
    const file = await readGgufFile(path);
    expect(file.tensors[0]).toMatchObject({ type: { name: "PTQTP2" }, byteSize: 272 });
  });

  it("are flagged as needing the extended runtime, without failing validation", async () => {
    const path = tmp.path("tiny.gguf");
    await writeTinyModel({ path, type: "f32", layers: 2 });
    const good = await readGgufFile(path);
    const ptqtp = ggmlTypeByName("PTQTP1")!;
    const tensors = good.tensors.map((t) =>
      t.name.endsWith("ffn_up.weight") ? { ...t, type: ptqtp } : t,
    );
    const result = validateModel({ ...good, tensors });
    expect(result.ok).toBe(true);
    expect(result.problems).toEqual([
      expect.objectContaining({
        code: "needs_extended_runtime",
        severity: "warning",
        subject: "blk.0.ffn_up.weight",
        message: expect.stringMatching(/2 tensors are stored as PTQTP1.*Lowbit extended runtime/),
      }),
    ]);
  });
});
