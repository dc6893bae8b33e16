import { describe, expect, it } from "vitest";
import {
  bitsPerWeight,
  bytesForElements,
  ggmlTypeById,
  ggmlTypeByName,
  ggmlTypes,
} from "../../../src-main/services/gguf/ggmlTypes.js";
import {
  extensionGgmlTypeIds,
  removedGgmlTypes,
  stockGgmlTypeCount,
} from "../../../src-main/services/gguf/ggmlTypes.js";
import {
  extensionLlamaFileTypeIds,
  llamaFileTypeById,
  llamaFileTypeByName,
  llamaFileTypes,
} from "../../../src-main/services/gguf/llamaFileTypes.js";
import { haveLlamaCppSource, readLlamaCppFile } from "./llamaCppSource.js";

describe("ggml type table", () => {
  it("gives the byte size of whole blocks", () => {
    expect(bytesForElements("Q4_K", 4096 * 256)).toBe(4096 * 144);
    expect(bytesForElements("F16", 1000)).toBe(2000);
    expect(bytesForElements(8, 64)).toBe(2 * 34); // Q8_0: 32 values + an f16 scale
    expect(bytesForElements("F32", 0)).toBe(0);
  });

  it("refuses element counts that are not whole blocks", () => {
    expect(() => bytesForElements("Q4_K", 255)).toThrow(/not a whole number of Q4_K blocks/);
    expect(() => bytesForElements("Q8_0", -32)).toThrow(RangeError);
    expect(() => bytesForElements("NOPE", 32)).toThrow(/unknown ggml type/);
  });

  it("knows the bits per weight users compare levels by", () => {
    expect(bitsPerWeight("Q4_K")).toBe(4.5);
    expect(bitsPerWeight("Q8_0")).toBe(8.5);
    expect(bitsPerWeight("Q6_K")).toBe(6.5625);
    expect(bitsPerWeight("Q2_K")).toBe(2.625);
    expect(bitsPerWeight("TQ2_0")).toBe(2.0625);
  });

  it("looks names up case-insensitively and hides removed ids", () => {
    expect(ggmlTypeByName("q4_k")?.id).toBe(12);
    expect(ggmlTypeByName("iq2_xxs")?.id).toBe(16);
    expect(ggmlTypeById(31)).toBeUndefined();
    expect(removedGgmlTypes.get(31)).toMatch(/Q4_0_4_4/);
  });

  it("names llama file types the way users know them", () => {
    expect(llamaFileTypeById(15)?.name).toBe("Q4_K_M");
    expect(llamaFileTypeById(15)?.description).toBe("Q4_K - Medium");
    expect(llamaFileTypeById(0)?.name).toBe("F32");
    expect(llamaFileTypeById(1024 + 7)?.name).toBe("Q8_0"); // the "guessed" bit
    expect(llamaFileTypeByName("q6_k")?.id).toBe(18);
  });
});

describe.skipIf(!haveLlamaCppSource)("ggml type table against the bundled llama.cpp source", () => {
  const commonH = haveLlamaCppSource ? readLlamaCppFile("ggml/src/ggml-common.h") : "";
  const defines = new Map(
    [...commonH.matchAll(/^#define (QK\w*|K_SCALE_SIZE|IQ3S_N_SCALE)\s+(.*)$/gm)].map((m) => [
      m[1]!,
      m[2]!.replace(/\/\/.*$/, "").trim(),
    ]),
  );
  const sizeofs: Record<string, number> = {
    ggml_half: 2,
    float: 4,
    int8_t: 1,
    uint8_t: 1,
    int16_t: 2,
    uint16_t: 2,
    int32_t: 4,
    uint32_t: 4,
    int64_t: 8,
    double: 8,
    ggml_fp16_t: 2,
    ggml_bf16_t: 2,
  };
  /** Evaluates a C size expression from the headers, e.g. "2*sizeof(ggml_half) + QK_K/2". */
  const evaluate = (expression: string): number => {
    let e = expression;
    for (let i = 0; i < 4; i++) {
      e = e.replace(/\b(QK\w*|K_SCALE_SIZE|IQ3S_N_SCALE)\b/g, (name) => `(${defines.get(name)})`);
    }
    e = e.replace(/sizeof\((\w+)\)/g, (_, t: string) => String(sizeofs[t] ?? NaN));
    expect(e, `unparsed C expression: ${expression}`).toMatch(/^[\d\s+\-*/()]+$/);
    return Function(`return (${e});`)() as number;
  };
  const blockSizes = new Map(
    [...commonH.matchAll(/static_assert\(sizeof\(block_(\w+)\) == (.+?), "wrong/g)].map((m) => [
      m[1]!.toUpperCase(),
      evaluate(m[2]!),
    ]),
  );

  it("has every id of enum ggml_type with its name, and only removed ids missing", () => {
    const ggmlH = readLlamaCppFile("ggml/include/ggml.h");
    const enumBody = /enum ggml_type \{([\s\S]*?)\};/.exec(ggmlH)![1]!;
    const live = [...enumBody.matchAll(/^\s*GGML_TYPE_(\w+)\s*=\s*(\d+)/gm)];
    const removed = [...enumBody.matchAll(/^\s*\/\/\s*GGML_TYPE_(\w+)\s*=\s*(\d+)/gm)];
    const count = live.find((m) => m[1] === "COUNT");
    // The source carries Lowbit's types once the set-up patched it (native/patches).
    const patched = live.some((m) => extensionGgmlTypeIds.has(Number(m[2])));
    expect(Number(count![2])).toBe(
      patched ? Math.max(...extensionGgmlTypeIds) + 1 : stockGgmlTypeCount,
    );
    for (const [, name, id] of live.filter((m) => m[1] !== "COUNT")) {
      expect(ggmlTypeById(Number(id))?.name, `GGML_TYPE_${name}`).toBe(name);
    }
    for (const [, name, id] of removed) {
      expect(ggmlTypeById(Number(id)), `GGML_TYPE_${name}`).toBeUndefined();
      expect(removedGgmlTypes.get(Number(id)), `GGML_TYPE_${name}`).toContain(name);
    }
    const listed = ggmlTypes.filter((t) => patched || !extensionGgmlTypeIds.has(t.id));
    expect(listed).toHaveLength(live.length - 1);
  });

  it("matches type_traits and the block structs' static_asserts in size and block length", () => {
    const ggmlC = readLlamaCppFile("ggml/src/ggml.c");
    const traits = /type_traits\[GGML_TYPE_COUNT\] = \{([\s\S]*?)\n\};/.exec(ggmlC)![1]!;
    const entries = [...traits.matchAll(/\[GGML_TYPE_(\w+)\] = \{([\s\S]*?)\n {4}\}/g)];
    const patched = entries.some(([, name]) => extensionGgmlTypeIds.has(ggmlTypeByName(name!)!.id));
    const listed = ggmlTypes.filter((t) => patched || !extensionGgmlTypeIds.has(t.id));
    expect(entries.length).toBe(listed.length);
    for (const [, name, body] of entries) {
      const field = (f: string) => new RegExp(`\\.${f}\\s*=\\s*([^,\\n]+),`).exec(body!)![1]!;
      const ours = ggmlTypeByName(name!);
      expect(ours, name).toBeDefined();
      expect(JSON.parse(field("type_name")).toUpperCase(), name).toBe(name);
      if (extensionGgmlTypeIds.has(ours!.id)) {
        // Their structs live in native/ggml-ext; the C tests and the model tests check sizes.
        expect(field("blck_size"), name).toBe("PTQTP_QK");
        continue;
      }
      expect(ours!.blockSize, `${name} block size`).toBe(evaluate(field("blck_size")));
      expect(ours!.quantized, `${name} is_quantized`).toBe(field("is_quantized") === "true");
      const typeSize = field("type_size");
      const block = /sizeof\(block_(\w+)\)/.exec(typeSize)?.[1];
      const expected =
        block === undefined ? evaluate(typeSize) : blockSizes.get(block.toUpperCase());
      expect(ours!.typeSize, `${name} type size`).toBe(expected);
    }
  });

  it("has every llama_ftype with its name", () => {
    const llamaH = readLlamaCppFile("include/llama.h");
    const enumBody = /enum llama_ftype \{([\s\S]*?)\};/.exec(llamaH)![1]!;
    const live = [...enumBody.matchAll(/^\s*LLAMA_FTYPE_(?:MOSTLY_|ALL_)(\w+)\s*=\s*(\d+)/gm)];
    const patched = live.some((m) => extensionLlamaFileTypeIds.has(Number(m[2])));
    const listed = llamaFileTypes.filter((t) => patched || !extensionLlamaFileTypeIds.has(t.id));
    expect(live.length).toBe(listed.length);
    for (const [, name, id] of live) {
      expect(llamaFileTypeById(Number(id))?.name, name).toBe(name);
    }
  });
});
