import { metaArray, metaString, type GgufMetadata } from "./ggufMetadata.js";
import { bpeTokenizerModels, knownPreTokenizers, knownTokenizerModels } from "./knownTokenizers.js";
import type { ProblemList } from "./modelProblems.js";

const specialTokenKeys = [
  "bos_token_id",
  "eos_token_id",
  "eot_token_id",
  "unknown_token_id",
  "padding_token_id",
  "seperator_token_id",
] as const;

/**
 * The checks llama_vocab::impl::load makes before it throws. Returns the vocabulary size.
 */
export function validateTokenizer(meta: GgufMetadata, problems: ProblemList): number | undefined {
  const modelKey = "tokenizer.ggml.model";
  const model = metaString(meta, modelKey);
  if (model === undefined) {
    problems.error(
      meta.has(modelKey) ? "wrong_key_type" : "missing_key",
      `The model file does not name its tokenizer (${modelKey} must be a string); ` +
        "llama.cpp cannot load it.",
      modelKey,
    );
    return undefined;
  }
  if (!knownTokenizerModels.has(model)) {
    problems.error(
      "unknown_tokenizer",
      `This llama.cpp does not know the tokenizer '${model}'.`,
      modelKey,
    );
    return undefined;
  }
  if (model === "none" || model === "no_vocab") {
    return undefined;
  }
  const tokens = checkStringList(meta, problems, "tokenizer.ggml.tokens", "its vocabulary", true);
  if (tokens === undefined) {
    return undefined;
  }
  const vocab = tokens;
  checkPerToken(meta, problems, "tokenizer.ggml.scores", ["f32", "i32"], vocab);
  checkPerToken(meta, problems, "tokenizer.ggml.token_type", ["i32"], vocab);
  if (bpeTokenizerModels.has(model)) {
    checkBpe(meta, problems);
  }
  checkSpecialTokens(meta, problems, vocab);
  return vocab;
}

function checkBpe(meta: GgufMetadata, problems: ProblemList): void {
  const preKey = "tokenizer.ggml.pre";
  const pre = metaString(meta, preKey);
  if (pre !== undefined && !knownPreTokenizers.has(pre)) {
    problems.error(
      "unknown_tokenizer",
      `This llama.cpp does not know the pre-tokenizer '${pre}'.`,
      preKey,
    );
  } else if (pre === undefined) {
    problems.warn(
      "missing_key",
      `The file does not name its pre-tokenizer (${preKey}); llama.cpp falls back to a default ` +
        "that splits text differently, which degrades the model's output.",
      preKey,
    );
  }
  if (pre !== "kimi-k2") {
    checkStringList(meta, problems, "tokenizer.ggml.merges", "its BPE merges", true);
  }
}

function checkStringList(
  meta: GgufMetadata,
  problems: ProblemList,
  key: string,
  what: string,
  required: boolean,
): number | undefined {
  const list = metaArray(meta, key);
  if (list === undefined) {
    if (meta.has(key) || required) {
      problems.error(
        meta.has(key) ? "wrong_key_type" : "missing_key",
        `The tokenizer lacks ${what} (${key} must be a list of strings); llama.cpp cannot load it.`,
        key,
      );
    }
    return undefined;
  }
  if (list.itemType !== "string") {
    problems.error("wrong_key_type", `${key} is a list of ${list.itemType}, not of strings.`, key);
    return undefined;
  }
  return list.value.length;
}

function checkPerToken(
  meta: GgufMetadata,
  problems: ProblemList,
  key: string,
  itemTypes: readonly string[],
  vocab: number,
): void {
  const entry = meta.get(key);
  if (entry === undefined) {
    return;
  }
  if (entry.type !== "array" || !itemTypes.includes(entry.itemType)) {
    const wanted = itemTypes.join(" or ");
    problems.error(
      "wrong_key_type",
      `${key} must be a list of ${wanted}; llama.cpp rejects it.`,
      key,
    );
  } else if (entry.value.length < vocab) {
    problems.error(
      "bad_value",
      `${key} has ${entry.value.length} entries for ${vocab} tokens; llama.cpp rejects it.`,
      key,
    );
  }
}

function checkSpecialTokens(meta: GgufMetadata, problems: ProblemList, vocab: number): void {
  for (const name of specialTokenKeys) {
    const key = `tokenizer.ggml.${name}`;
    const entry = meta.get(key);
    if (entry === undefined) {
      continue;
    }
    if (entry.type !== "u32") {
      problems.error(
        "wrong_key_type",
        `${key} is stored as ${entry.type}; llama.cpp reads only u32.`,
        key,
      );
    } else if (entry.value >= vocab) {
      problems.warn(
        "bad_value",
        `${key} is ${entry.value}, outside the vocabulary of ${vocab} tokens; llama.cpp ` +
          "ignores it and falls back to a default, so the model may not start or stop properly.",
        key,
      );
    }
  }
}
