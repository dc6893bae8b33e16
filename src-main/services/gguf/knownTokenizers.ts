/**
 * Tokenizers the bundled llama.cpp accepts (`src/llama-vocab.cpp`, llama_vocab::impl::load).
 * An unknown `tokenizer.ggml.model` or BPE `tokenizer.ggml.pre` makes the load fail.
 * tests/unit/gguf checks these lists against that source file.
 */
export const knownTokenizerModels: ReadonlySet<string> = new Set([
  "no_vocab",
  "none",
  "llama",
  "bert",
  "gpt2",
  "hybriddna",
  "whitespace",
  "t5",
  "rwkv",
  "plamo2",
  "gemma4",
]);

/** Tokenizer models that read `tokenizer.ggml.pre` (the BPE family). */
export const bpeTokenizerModels: ReadonlySet<string> = new Set(["gpt2", "hybriddna", "whitespace"]);

export const knownPreTokenizers: ReadonlySet<string> = new Set(
  (
    "default minicpm5 llama3 llama-v3 llama-bpe falcon3 falcon-h1 pixtral midm-2.0 lfm2 " +
    "jina-v5-nano deepseek-llm deepseek-coder deepseek-v3 youtu falcon mpt starcoder gpt-2 " +
    "phi-2 jina-es jina-de gigachat jina-v2-es jina-v2-de a.x-4.0 mellum modern-bert jais-2 " +
    "gemma4 granite-embed-multi-311m sarvam-moe jina-v1-en jina-v2-code roberta-bpe " +
    "whitespace refact command-r qwen2 deepseek-r1-qwen kormo f2llmv2 qwen35 stablelm2 olmo " +
    "dbrx smaug-bpe poro-chat glm4 chatglm-bpe viking jais tekken smollm codeshell bloom " +
    "gpt3-finnish exaone exaone4 exaone-moe chameleon minerva-7b megrez gpt-4o llama4 kanana2 " +
    "talkie granite-embed-multi-97m tiny_aya cohere2moe superbpe trillion granite-docling " +
    "bailingmoe bailingmoe2 llada-moe seed-coder hunyuan hunyuan-dense joyai-llm kimi-k2 " +
    "grok-2 afmoe laguna minimax-m2 solar-open mellum2"
  ).split(" "),
);

/** True when llama.cpp would accept this tokenizer/pre-tokenizer pair (pre may be absent). */
export function isKnownTokenizer(model: string | undefined, pre: string | undefined): boolean {
  if (model === undefined || !knownTokenizerModels.has(model)) {
    return false;
  }
  return !bpeTokenizerModels.has(model) || pre === undefined || knownPreTokenizers.has(pre);
}
