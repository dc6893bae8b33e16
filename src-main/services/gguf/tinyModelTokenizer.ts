import { byteTokens, simpleMerges } from "./byteLevelBpe.js";
import { ggufValue, type GgufValue } from "./ggufValues.js";

/** llama_token_type values (llama.cpp `include/llama.h`). */
const normalToken = 1;
const controlToken = 3;
const unusedToken = 5;

export const tinySpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] as const;

export const chatMlTemplate =
  "{% for message in messages %}" +
  "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
  "{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/**
 * A GPT-2 style byte-level BPE tokenizer of exactly `vocab` tokens: 256 byte tokens, merges,
 * ChatML special tokens last. Beyond the available merges the rest is filled with unused tokens.
 */
export function tinyTokenizerMetadata(vocab: number, chatTemplate: string | null) {
  const specials = tinySpecialTokens.length;
  const { merges, tokens: merged } = simpleMerges(vocab - 256 - specials);
  const padding = vocab - 256 - merged.length - specials;
  const tokens = [
    ...byteTokens(),
    ...merged,
    ...Array.from({ length: padding }, (_, i) => `<|unused_${i}|>`),
    ...tinySpecialTokens,
  ];
  const types = [
    ...new Array<number>(256 + merged.length).fill(normalToken),
    ...new Array<number>(padding).fill(unusedToken),
    ...new Array<number>(specials).fill(controlToken),
  ];
  const idOf = (token: string) => tokens.indexOf(token);
  const entries: [string, GgufValue][] = [
    ["tokenizer.ggml.model", ggufValue.string("gpt2")],
    ["tokenizer.ggml.pre", ggufValue.string("gpt-2")],
    ["tokenizer.ggml.tokens", ggufValue.array("string", tokens)],
    ["tokenizer.ggml.token_type", ggufValue.array("i32", types)],
    ["tokenizer.ggml.merges", ggufValue.array("string", merges)],
    ["tokenizer.ggml.bos_token_id", ggufValue.u32(idOf("<|endoftext|>"))],
    ["tokenizer.ggml.eos_token_id", ggufValue.u32(idOf("<|im_end|>"))],
    ["tokenizer.ggml.padding_token_id", ggufValue.u32(idOf("<|endoftext|>"))],
    ["tokenizer.ggml.add_bos_token", ggufValue.bool(false)],
  ];
  if (chatTemplate !== null) {
    entries.push(["tokenizer.chat_template", ggufValue.string(chatTemplate)]);
  }
  return entries;
}
