import type { GgufTensorInfo } from "./ggufFile.js";
import type { ProblemList } from "./modelProblems.js";
import type { ModelShape } from "./validateHyperparameters.js";

/**
 * The tensors llama_model_llama::load_arch_tensors creates (`src/models/llama.cpp`), with the
 * shapes it expects. A missing or misshapen one makes the load fail.
 */
export function validateLlamaTensors(
  tensors: readonly GgufTensorInfo[],
  shape: ModelShape,
  vocab: number | undefined,
  problems: ProblemList,
): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const n = vocab ?? byName.get("token_embd.weight")?.dims[1];
  const { embd, layers } = shape;
  const expect = (name: string, dims: readonly (number | undefined)[], required = true) =>
    checkTensor(byName, problems, name, dims, required);

  expect("token_embd.weight", [embd, n]);
  expect("output_norm.weight", [embd]);
  // Absent when the output projection is tied to the token embeddings.
  expect("output.weight", [embd, n], false);

  for (let i = 0; i < layers; i++) {
    const blk = (part: string) => `blk.${i}.${part}.weight`;
    const heads = shape.heads[i] ?? 0;
    const kvHeads = shape.kvHeads[i] ?? 0;
    const ff = shape.ff[i] ?? 0;
    const q = shape.headDimK * heads;
    const k = shape.headDimK * kvHeads;
    const v = shape.headDimV * kvHeads;
    expect(blk("attn_norm"), [embd]);
    if (byName.has(blk("attn_qkv"))) {
      expect(blk("attn_qkv"), [embd, q + k + v]);
    } else {
      expect(blk("attn_q"), [embd, q]);
      expect(blk("attn_k"), [embd, k]);
      expect(blk("attn_v"), [embd, v]);
    }
    expect(blk("attn_output"), [q, embd]);
    expect(blk("ffn_norm"), [embd]);
    if (shape.experts === 0) {
      expect(blk("ffn_gate"), [embd, ff]);
      expect(blk("ffn_down"), [ff, embd]);
      expect(blk("ffn_up"), [embd, ff]);
    } else {
      expect(blk("ffn_gate_inp"), [embd, shape.experts]);
      expect(blk("ffn_gate_exps"), [embd, ff, shape.experts], false);
      expect(blk("ffn_down_exps"), [ff, embd, shape.experts]);
      expect(blk("ffn_up_exps"), [embd, ff, shape.experts]);
    }
  }

  for (const t of tensors) {
    const layer = /^blk\.(\d+)\./.exec(t.name)?.[1];
    if (layer !== undefined && Number(layer) >= layers) {
      problems.error(
        "unexpected_tensor",
        `Tensor ${t.name} belongs to layer ${layer}, but the model has only ${layers} layers ` +
          "(llama.cpp rejects files with tensors it does not use).",
        t.name,
      );
    }
  }
}

function checkTensor(
  byName: ReadonlyMap<string, GgufTensorInfo>,
  problems: ProblemList,
  name: string,
  expected: readonly (number | undefined)[],
  required: boolean,
): void {
  const tensor = byName.get(name);
  if (tensor === undefined) {
    if (required) {
      problems.error("missing_tensor", `The model file lacks the tensor ${name}.`, name);
    }
    return;
  }
  // ggml pads shapes with 1s, so [256] and [256, 1] are the same shape.
  const actual = [...tensor.dims];
  while (actual.length > expected.length && actual.at(-1) === 1) {
    actual.pop();
  }
  const matches =
    actual.length === expected.length &&
    expected.every((d, i) => d === undefined || actual[i] === d);
  if (!matches) {
    const want = expected.map((d) => d ?? "?").join(" × ");
    problems.error(
      "wrong_tensor_shape",
      `Tensor ${name} is ${tensor.dims.join(" × ")} but the model's settings need ${want}.`,
      name,
    );
  }
}
