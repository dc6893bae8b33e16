import type { GgufMetadata } from "./ggufMetadata.js";
import { checkPerLayer, checkU32, maxLayers } from "./metadataChecks.js";
import type { ProblemList } from "./modelProblems.js";

/** The sizes the tensor checks need, known to be present and sane. */
export interface ModelShape {
  readonly embd: number;
  readonly layers: number;
  readonly heads: readonly number[];
  readonly kvHeads: readonly number[];
  readonly ff: readonly number[];
  readonly headDimK: number;
  readonly headDimV: number;
  readonly experts: number;
}

/**
 * Keys every architecture's loader reads (llama_model_base::load_hparams) and, for `llama`,
 * the ones its graph needs. `strict` marks architectures whose layout we know (llama):
 * there, heads and feed-forward sizes are required, as a missing one aborts llama.cpp.
 */
export function validateHyperparameters(
  meta: GgufMetadata,
  arch: string,
  strict: boolean,
  problems: ProblemList,
): ModelShape | undefined {
  const k = (name: string) => `${arch}.${name}`;
  const problemsBefore = problems.problems.length;
  checkU32(meta, problems, k("context_length"), "the context length it was trained with", {
    required: true,
    min: 1,
  });
  const embd = checkU32(meta, problems, k("embedding_length"), "the embedding size", {
    required: true,
    min: 1,
  });
  const layers = checkU32(meta, problems, k("block_count"), "the number of layers", {
    required: true,
    min: 1,
    max: maxLayers,
  });
  if (layers === undefined) {
    return undefined;
  }
  // Other architectures may set 0 for layers without attention or feed-forward.
  const required = { required: strict, min: strict ? 1 : 0 };
  const optional = { required: false, min: required.min };
  const perLayer = (name: string, what: string, options: typeof required) =>
    checkPerLayer(meta, problems, k(name), what, layers, options);
  const ff = perLayer("feed_forward_length", "the feed-forward size", required);
  const heads = perLayer("attention.head_count", "the number of attention heads", required);
  const kvHeads = perLayer("attention.head_count_kv", "the number of key/value heads", optional);
  if (heads !== undefined && kvHeads !== undefined) {
    const bad = heads.findIndex((h, i) => (kvHeads[i] ?? 0) > 0 && h % (kvHeads[i] ?? 1) !== 0);
    if (bad >= 0) {
      problems.error(
        "bad_value",
        `Layer ${bad} has ${heads[bad]} attention heads and ${kvHeads[bad]} key/value heads; ` +
          "the key/value heads must divide the attention heads evenly.",
        k("attention.head_count_kv"),
      );
    }
  }
  if (!strict) {
    return undefined;
  }
  checkRmsEpsilon(meta, problems, k("attention.layer_norm_rms_epsilon"));
  if (embd === undefined || heads === undefined || ff === undefined) {
    return undefined;
  }
  const headDims = checkHeadDims(meta, problems, arch, embd, heads[0] ?? 1);
  if (headDims === undefined) {
    return undefined;
  }
  const experts = checkU32(meta, problems, k("expert_count"), "the number of experts", {
    required: false,
  });
  if (problems.problems.length > problemsBefore) {
    return undefined; // tensor shapes computed from bad settings would only add noise
  }
  // head_count_kv is optional: llama.cpp then uses one key/value head per attention head.
  return { embd, layers, heads, kvHeads: kvHeads ?? heads, ff, ...headDims, experts: experts ?? 0 };
}

function checkRmsEpsilon(meta: GgufMetadata, problems: ProblemList, key: string): void {
  const entry = meta.get(key);
  if (entry === undefined) {
    problems.error(
      "missing_key",
      `The model file does not record its normalization epsilon (${key}); ` +
        "llama.cpp cannot load the model without it.",
      key,
    );
  } else if (entry.type !== "f32") {
    problems.error(
      "wrong_key_type",
      `${key} is stored as ${entry.type}, but llama.cpp reads only f32.`,
      key,
    );
  } else if (!(entry.value > 0) || !Number.isFinite(entry.value)) {
    problems.error(
      "bad_value",
      `${key} is ${entry.value}; it must be a small positive number.`,
      key,
    );
  }
}

/** Head sizes default to embd / heads; llama's rope must span a whole key head (n_rot). */
function checkHeadDims(
  meta: GgufMetadata,
  problems: ProblemList,
  arch: string,
  embd: number,
  heads: number,
): { headDimK: number; headDimV: number } | undefined {
  const keyLength = checkU32(meta, problems, `${arch}.attention.key_length`, "the key head size", {
    required: false,
    min: 1,
  });
  const valueLength = checkU32(
    meta,
    problems,
    `${arch}.attention.value_length`,
    "the value head size",
    { required: false, min: 1 },
  );
  if ((keyLength === undefined || valueLength === undefined) && embd % heads !== 0) {
    problems.error(
      "bad_value",
      `The embedding size (${embd}) is not a multiple of the number of attention heads (${heads}).`,
      `${arch}.attention.head_count`,
    );
    return undefined;
  }
  const headDimK = keyLength ?? embd / heads;
  const headDimV = valueLength ?? embd / heads;
  const ropeKey = `${arch}.rope.dimension_count`;
  const rope = checkU32(meta, problems, ropeKey, "the rotary embedding size", { required: false });
  if (rope !== undefined && rope !== headDimK) {
    problems.error(
      "bad_value",
      `${ropeKey} is ${rope}, but for this architecture it must equal the head size (${headDimK}).`,
      ropeKey,
    );
  }
  return { headDimK, headDimV };
}
