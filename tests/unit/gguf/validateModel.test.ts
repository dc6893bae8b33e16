import { beforeAll, describe, expect, it } from "vitest";
import {
  ggufValue,
  readGgufFile,
  validateModel,
  writeTinyModel,
  type GgufFile,
  type GgufTensorInfo,
  type GgufValue,
  type ModelProblem,
} from "../../../src-main/services/gguf/index.js";
import { useTempDir } from "./tempDir.js";

const tmp = useTempDir();
let good: GgufFile;

beforeAll(async () => {
  const path = tmp.path("good.gguf");
  await writeTinyModel({ path, type: "f32", layers: 2 });
  good = await readGgufFile(path);
});

/** The good model with metadata edits applied (undefined deletes the key). */
function withMetadata(edits: Record<string, GgufValue | undefined>): GgufFile {
  const metadata = new Map(good.metadata);
  for (const [key, value] of Object.entries(edits)) {
    if (value === undefined) {
      metadata.delete(key);
    } else {
      metadata.set(key, value);
    }
  }
  return { ...good, metadata };
}

function withTensors(edit: (tensors: GgufTensorInfo[]) => GgufTensorInfo[]): GgufFile {
  return { ...good, tensors: edit([...good.tensors]) };
}

const errors = (file: GgufFile): ModelProblem[] =>
  validateModel(file).problems.filter((p) => p.severity === "error");

describe("validateModel", () => {
  it("passes the tiny model llama.cpp loads", () => {
    expect(validateModel(good)).toEqual({ ok: true, problems: [] });
  });

  const requiredKeys = [
    "general.architecture",
    "llama.context_length",
    "llama.embedding_length",
    "llama.block_count",
    "llama.feed_forward_length",
    "llama.attention.head_count",
    "llama.attention.layer_norm_rms_epsilon",
    "tokenizer.ggml.model",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.merges",
  ];
  for (const key of requiredKeys) {
    it(`reports a missing ${key}`, () => {
      const result = validateModel(withMetadata({ [key]: undefined }));
      expect(result.ok).toBe(false);
      const problem = result.problems.find((p) => p.subject === key);
      expect(problem, JSON.stringify(result.problems)).toMatchObject({
        code: "missing_key",
        severity: "error",
      });
      expect(problem!.message).toContain(key);
    });
  }

  it("reads a missing head_count_kv as one key/value head per attention head", () => {
    // The tiny model has 4 heads and 2 key/value heads, so its k and v tensors are now too small.
    const problems = errors(withMetadata({ "llama.attention.head_count_kv": undefined }));
    expect(problems.map((p) => [p.code, p.subject])).toEqual([
      ["wrong_tensor_shape", "blk.0.attn_k.weight"],
      ["wrong_tensor_shape", "blk.0.attn_v.weight"],
      ["wrong_tensor_shape", "blk.1.attn_k.weight"],
      ["wrong_tensor_shape", "blk.1.attn_v.weight"],
    ]);
  });

  it("reports keys stored with a type llama.cpp will not read", () => {
    const [problem] = errors(withMetadata({ "llama.context_length": ggufValue.u64(512) }));
    expect(problem).toMatchObject({ code: "wrong_key_type", subject: "llama.context_length" });
    expect(problem!.message).toMatch(/stored as u64, but llama.cpp only reads it as u32/);
    const [eps] = errors(
      withMetadata({ "llama.attention.layer_norm_rms_epsilon": ggufValue.f64(1e-5) }),
    );
    expect(eps).toMatchObject({ code: "wrong_key_type" });
  });

  it("reports impossible sizes", () => {
    const codes = (edits: Record<string, GgufValue>) =>
      errors(withMetadata(edits)).map((p) => p.code);
    expect(codes({ "llama.block_count": ggufValue.u32(0) })).toContain("bad_value");
    expect(codes({ "llama.block_count": ggufValue.u32(600) })).toContain("bad_value");
    expect(codes({ "llama.attention.head_count_kv": ggufValue.u32(3) })).toEqual(["bad_value"]);
    expect(codes({ "llama.attention.head_count": ggufValue.u32(0) })).toContain("bad_value");
    expect(codes({ "llama.attention.head_count": ggufValue.u32(3) })).toContain("bad_value");
    expect(codes({ "llama.rope.dimension_count": ggufValue.u32(32) })).toEqual(["bad_value"]);
    expect(codes({ "llama.attention.layer_norm_rms_epsilon": ggufValue.f32(0) })).toEqual([
      "bad_value",
    ]);
  });

  it("checks per-layer lists against the layer count", () => {
    const perLayer = ggufValue.array("u32", [4, 4]);
    expect(validateModel(withMetadata({ "llama.attention.head_count": perLayer })).ok).toBe(true);
    const [problem] = errors(
      withMetadata({ "llama.attention.head_count": ggufValue.array("u32", [4, 4, 4]) }),
    );
    expect(problem!.message).toMatch(/for 3 layers, but the model has 2/);
  });

  it("reports tensor shapes that do not match the settings", () => {
    const problems = errors(withMetadata({ "llama.feed_forward_length": ggufValue.u32(768) }));
    expect(problems.map((p) => p.subject)).toEqual([
      "blk.0.ffn_gate.weight",
      "blk.0.ffn_down.weight",
      "blk.0.ffn_up.weight",
      "blk.1.ffn_gate.weight",
      "blk.1.ffn_down.weight",
      "blk.1.ffn_up.weight",
    ]);
    expect(problems[0]!.message).toBe(
      "Tensor blk.0.ffn_gate.weight is 256 × 512 but the model's settings need 256 × 768.",
    );
  });

  it("reports each missing tensor, and accepts a missing output.weight (tied)", () => {
    for (const name of [
      "token_embd.weight",
      "output_norm.weight",
      "blk.1.attn_k.weight",
      "blk.0.ffn_down.weight",
    ]) {
      const problems = errors(withTensors((ts) => ts.filter((t) => t.name !== name)));
      expect(problems).toEqual([
        {
          code: "missing_tensor",
          severity: "error",
          message: `The model file lacks the tensor ${name}.`,
          subject: name,
        },
      ]);
    }
    expect(
      validateModel(withTensors((ts) => ts.filter((t) => t.name !== "output.weight"))).ok,
    ).toBe(true);
  });

  it("reports tensors for layers the model does not have", () => {
    const extra = {
      ...good.tensors.find((t) => t.name === "blk.0.attn_norm.weight")!,
      name: "blk.7.attn_norm.weight",
    };
    const [problem] = errors(withTensors((ts) => [...ts, extra]));
    expect(problem).toMatchObject({ code: "unexpected_tensor", subject: "blk.7.attn_norm.weight" });
  });

  it("reports tokenizers llama.cpp does not know, and warns about a missing pre-tokenizer", () => {
    expect(
      errors(withMetadata({ "tokenizer.ggml.model": ggufValue.string("sentencepiece") })),
    ).toMatchObject([{ code: "unknown_tokenizer" }]);
    expect(errors(withMetadata({ "tokenizer.ggml.pre": ggufValue.string("nope") }))).toMatchObject([
      { code: "unknown_tokenizer", subject: "tokenizer.ggml.pre" },
    ]);
    const noPre = validateModel(withMetadata({ "tokenizer.ggml.pre": undefined }));
    expect(noPre.ok).toBe(true);
    expect(noPre.problems).toMatchObject([{ severity: "warning", subject: "tokenizer.ggml.pre" }]);
    expect(
      errors(withMetadata({ "tokenizer.ggml.token_type": ggufValue.array("i32", [1, 1]) })),
    ).toMatchObject([{ code: "bad_value", subject: "tokenizer.ggml.token_type" }]);
    const outside = validateModel(
      withMetadata({ "tokenizer.ggml.eos_token_id": ggufValue.u32(9999) }),
    );
    expect(outside.problems).toMatchObject([{ severity: "warning", code: "bad_value" }]);
  });

  it("reports unknown architectures, vision projectors and nested lists", () => {
    expect(
      errors(withMetadata({ "general.architecture": ggufValue.string("llama9") })),
    ).toMatchObject([{ code: "unknown_architecture" }]);
    expect(
      errors(withMetadata({ "general.architecture": ggufValue.string("clip") })),
    ).toMatchObject([{ code: "not_a_language_model" }]);
    const nested = ggufValue.array("array", [ggufValue.array("u8", [1])]);
    expect(errors(withMetadata({ "x.nested": nested }))).toMatchObject([{ code: "nested_array" }]);
  });

  it("applies the generic rules to other architectures", () => {
    const meta = (edits: Record<string, GgufValue | undefined>) =>
      withMetadata({ "general.architecture": ggufValue.string("mamba"), ...edits });
    const renamed = (from: string, to: string) => ({
      [from]: undefined,
      [to]: good.metadata.get(from),
    });
    const mamba = meta({
      ...renamed("llama.context_length", "mamba.context_length"),
      ...renamed("llama.embedding_length", "mamba.embedding_length"),
      ...renamed("llama.block_count", "mamba.block_count"),
    });
    expect(validateModel(mamba).ok).toBe(true);
    const missing = validateModel(
      meta({ ...renamed("llama.embedding_length", "mamba.embedding_length") }),
    );
    expect(missing.problems.map((p) => p.subject)).toEqual([
      "mamba.context_length",
      "mamba.block_count",
    ]);
  });

  it("finds the problem in a file written without a required key", async () => {
    const path = tmp.path("no-heads.gguf");
    await writeTinyModel({ path, type: "f32", omitKeys: ["llama.attention.head_count"] });
    const result = validateModel(await readGgufFile(path));
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.code)).toContain("missing_key");
  });
});
