import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freeFileNames } from "../../../src-main/services/downloads/fileNames.js";
import { groupHubSets, pickHubSet } from "../../../src-main/services/downloads/hubSets.js";
import { quantFromFileName } from "../../../src-main/services/downloads/quantName.js";
import { RateMeter } from "../../../src-main/services/downloads/rateMeter.js";
import {
  backoffDelay,
  defaultRetryPolicy,
  parseRetryAfter,
} from "../../../src-main/services/downloads/retryPolicy.js";
import { parseSource } from "../../../src-main/services/downloads/sources.js";
import { parseSplitName, splitSetNames } from "../../../src-main/services/gguf/splitGguf.js";
import { makeTempDir } from "../../helpers/tempDir.js";

const hub = "https://huggingface.co";

describe("download sources", () => {
  it("reads hf: files, repos, revisions and quants", () => {
    expect(parseSource("hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF", hub)).toEqual({
      kind: "hf-repo",
      repo: "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
      revision: "main",
      quant: null,
    });
    expect(parseSource("hf:a/b:q4_k_m", hub)).toMatchObject({ kind: "hf-repo", quant: "Q4_K_M" });
    expect(parseSource("hf:a/b/sub/x-Q8_0.gguf@v1.2", hub)).toEqual({
      kind: "hf-file",
      repo: "a/b",
      path: "sub/x-Q8_0.gguf",
      revision: "v1.2",
    });
    expect(parseSource("a/b", hub)).toMatchObject({ kind: "hf-repo", repo: "a/b" });
  });

  it("turns hub links (blob, resolve, repo pages) into hf: sources so the hub's sha256 applies", () => {
    expect(parseSource(`${hub}/a/b/blob/main/x.gguf`, hub)).toMatchObject({
      kind: "hf-file",
      path: "x.gguf",
    });
    expect(parseSource(`${hub}/a/b/resolve/abc123/dir/x.gguf?download=true`, hub)).toMatchObject({
      kind: "hf-file",
      revision: "abc123",
      path: "dir/x.gguf",
    });
    expect(parseSource(`${hub}/a/b`, hub)).toMatchObject({ kind: "hf-repo", repo: "a/b" });
    expect(parseSource(`${hub}/a/b/tree/dev`, hub)).toMatchObject({ revision: "dev" });
  });

  it("keeps other URLs as they are, with a safe file name", () => {
    expect(parseSource("https://example.com/m/My%20Model.gguf?sig=1", hub)).toEqual({
      kind: "url",
      url: "https://example.com/m/My%20Model.gguf?sig=1",
      fileName: "My_Model.gguf",
    });
    expect(parseSource("http://127.0.0.1:9/download", hub)).toMatchObject({
      fileName: "download.gguf",
    });
  });

  it("explains what is wrong with anything else", () => {
    expect(() => parseSource("ftp://x/y.gguf", hub)).toThrow(/only http and https/);
    expect(() => parseSource("./model.gguf", hub)).toThrow(/looks like a file on this computer/);
    expect(() => parseSource("hf:just-a-name", hub)).toThrow(/does not name a Hugging Face repo/);
    expect(() => parseSource("hf:a/b/readme.md", hub)).toThrow(/not a \.gguf file/);
    expect(() => parseSource("hf:a/b/../../etc/x.gguf", hub)).toThrow(/not a \.gguf file/);
    expect(() => parseSource("hf:a/b/x.gguf:Q4_0", hub)).toThrow(/a file and a quantization/);
  });
});

describe("file names", () => {
  it("finds the quant a file name announces", () => {
    const cases: Array<[string, string | null]> = [
      ["Meta-Llama-3-8B-Instruct-Q4_K_M.gguf", "Q4_K_M"],
      ["qwen2.5-0.5b-instruct-q8_0.gguf", "Q8_0"],
      ["gemma-2-2b-it.Q5_K_S.gguf", "Q5_K_S"],
      ["Llama-3.2-1B-Instruct-UD-Q4_K_XL.gguf", "UD-Q4_K_XL"],
      ["model-IQ2_XXS.gguf", "IQ2_XXS"],
      ["ggml-model-f16.gguf", "F16"],
      ["bitnet-TQ1_0.gguf", "TQ1_0"],
      ["Qwen2-7B-Instruct-bf16-00001-of-00004.gguf", "BF16"],
      ["Qwen2-7B.gguf", null],
      ["tiny.gguf", null],
    ];
    for (const [name, quant] of cases) {
      expect(quantFromFileName(name), name).toBe(quant);
    }
  });

  it("reads and writes split names as llama.cpp does", () => {
    expect(parseSplitName("m-Q8_0-00002-of-00003.gguf")).toEqual({
      prefix: "m-Q8_0",
      index: 2,
      count: 3,
    });
    expect(parseSplitName("m-00004-of-00003.gguf")).toBeNull();
    expect(splitSetNames("m-00002-of-00003.gguf")).toEqual([
      "m-00001-of-00003.gguf",
      "m-00002-of-00003.gguf",
      "m-00003-of-00003.gguf",
    ]);
  });

  it("picks names that clash with nothing, keeping split endings", () => {
    const temp = makeTempDir();
    try {
      mkdirSync(temp.dir, { recursive: true });
      writeFileSync(path.join(temp.dir, "a.gguf"), "");
      writeFileSync(path.join(temp.dir, "s-00002-of-00002.gguf.partial"), "");
      expect(freeFileNames(temp.dir, ["a.gguf"], new Set())).toEqual(["a-1.gguf"]);
      expect(
        freeFileNames(temp.dir, ["a.gguf"], new Set([path.join(temp.dir, "a-1.gguf.partial")])),
      ).toEqual(["a-2.gguf"]);
      expect(
        freeFileNames(temp.dir, ["s-00001-of-00002.gguf", "s-00002-of-00002.gguf"], new Set()),
      ).toEqual(["s-1-00001-of-00002.gguf", "s-1-00002-of-00002.gguf"]);
    } finally {
      temp.cleanup();
    }
  });
});

describe("hub listings", () => {
  const entry = (p: string, size = 10) => ({ path: p, sizeBytes: size, sha256: null });

  it("groups split parts into one model and leaves out incomplete sets", () => {
    const sets = groupHubSets([
      entry("x-Q4_K_M.gguf"),
      entry("Q8/x-Q8_0-00001-of-00002.gguf", 5),
      entry("Q8/x-Q8_0-00002-of-00002.gguf", 7),
      entry("broken-00001-of-00003.gguf"),
    ]);
    expect(sets.map((s) => [s.path, s.parts.length, s.sizeBytes, s.quant])).toEqual([
      ["x-Q4_K_M.gguf", 1, 10, "Q4_K_M"],
      ["Q8/x-Q8_0-00001-of-00002.gguf", 2, 12, "Q8_0"],
    ]);
  });

  it("picks by quant, ignores vision projectors, and lists the choices when unsure", () => {
    const sets = groupHubSets([entry("m-Q4_0.gguf"), entry("mmproj-m-f16.gguf")]);
    expect(pickHubSet(sets, "o/r", null).path).toBe("m-Q4_0.gguf");
    const two = groupHubSets([entry("m-Q4_0.gguf"), entry("m-Q8_0.gguf")]);
    expect(pickHubSet(two, "o/r", "q8_0").path).toBe("m-Q8_0.gguf");
    expect(() => pickHubSet(two, "o/r", null)).toThrow(/has 2 GGUF models; pick one/);
    expect(() => pickHubSet([], "o/r", null)).toThrow(/has no GGUF model files/);
  });
});

describe("retries and rates", () => {
  it("backs off exponentially with jitter, capped, and honours Retry-After", () => {
    const policy = { ...defaultRetryPolicy, baseDelayMs: 1000, maxDelayMs: 8000 };
    expect(backoffDelay(policy, 1, null, () => 0.5)).toBe(1000);
    expect(backoffDelay(policy, 3, null, () => 0.5)).toBe(4000);
    expect(backoffDelay(policy, 10, null, () => 0.5)).toBe(8000);
    expect(backoffDelay(policy, 1, null, () => 0)).toBe(800);
    expect(backoffDelay(policy, 1, 5000)).toBe(5000);
    expect(parseRetryAfter("7")).toBe(7000);
    expect(parseRetryAfter(new Date(Date.now() + 3000).toUTCString())).toBeGreaterThan(1000);
    expect(parseRetryAfter("soon")).toBeNull();
  });

  it("measures the recent rate, and falls to zero while nothing arrives", () => {
    const meter = new RateMeter(5000);
    meter.add(0, 0);
    meter.add(1000, 1000);
    meter.add(2000, 2000);
    expect(meter.rate(2000)).toBe(1000);
    expect(meter.rate(4000)).toBe(500);
    expect(meter.rate(8000)).toBe(0);
    meter.add(0, 8000);
    expect(meter.rate(8000)).toBeNull();
  });
});
