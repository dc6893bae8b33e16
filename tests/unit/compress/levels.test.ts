import { describe, expect, it } from "vitest";
import {
  compressionLevels,
  levelByName,
  offersImatrix,
} from "../../../src-main/services/compress/levels.js";
import { ggmlTypeByName } from "../../../src-main/services/gguf/ggmlTypes.js";
import { llamaFileTypeByName } from "../../../src-main/services/gguf/llamaFileTypes.js";

/** The levels the issue asks for, each of them a llama.cpp file type. */
const required = [
  "F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S", "IQ4_XS", "IQ4_NL",
  "Q4_0", "Q3_K_L", "Q3_K_M", "Q3_K_S", "IQ3_M", "IQ3_XXS", "Q2_K", "Q2_K_S", "IQ2_M", "IQ2_S",
  "IQ2_XS", "IQ2_XXS", "IQ1_M", "IQ1_S", "TQ2_0", "TQ1_0",
]; // prettier-ignore

describe("the levels catalogue", () => {
  it("offers every level the slider must show, once", () => {
    const names = compressionLevels.map((l) => l.name);
    expect(names).toEqual(expect.arrayContaining(required));
    expect(new Set(names).size).toBe(names.length);
  });

  it("uses llama.cpp's file type ids (include/llama.h) for every level", () => {
    for (const level of compressionLevels) {
      expect(llamaFileTypeByName(level.name)?.id, level.name).toBe(level.ftype);
    }
  });

  it("names a real ggml type as each level's base type, at the level's nominal bits", () => {
    for (const level of compressionLevels) {
      const base = ggmlTypeByName(level.baseType);
      expect(base, level.name).toBeDefined();
      // IQ3_XS and IQ2_S are mixes whose base type has more bits than the level's name says.
      if (!["IQ3_XS", "IQ2_S"].includes(level.name)) {
        expect((base!.typeSize * 8) / base!.blockSize, level.name).toBeCloseTo(level.nominalBpw, 3);
      }
    }
  });

  it("offers calibration below 4 bits only", () => {
    expect(offersImatrix(levelByName("Q4_K_M")!)).toBe(false);
    expect(offersImatrix(levelByName("Q3_K_M")!)).toBe(true);
    expect(offersImatrix(levelByName("IQ2_XXS")!)).toBe(true);
  });

  it("finds a level whatever its case, and nothing for an unknown name", () => {
    expect(levelByName("q4_k_m")?.name).toBe("Q4_K_M");
    expect(levelByName(" Q8_0 ")?.name).toBe("Q8_0");
    expect(levelByName("Q9_Z")).toBeUndefined();
  });

  it("says something useful at every stop, and warns below 3 bits", () => {
    for (const level of compressionLevels) {
      expect(level.note.length, level.name).toBeGreaterThan(20);
      if (level.nominalBpw < 3 && level.family !== "ternary") {
        expect(level.note, level.name).toMatch(/calibrat|break/i);
      }
    }
  });
});
