import { describe, expect, it } from "vitest";
import { knownArchitectures } from "../../../src-main/services/gguf/knownArchitectures.js";
import {
  bpeTokenizerModels,
  isKnownTokenizer,
  knownPreTokenizers,
  knownTokenizerModels,
} from "../../../src-main/services/gguf/knownTokenizers.js";
import { haveLlamaCppSource, readLlamaCppFile } from "./llamaCppSource.js";

describe("known tokenizers", () => {
  it("accepts what llama.cpp accepts and nothing else", () => {
    expect(isKnownTokenizer("gpt2", "qwen2")).toBe(true);
    expect(isKnownTokenizer("gpt2", undefined)).toBe(true); // falls back to "default"
    expect(isKnownTokenizer("llama", "anything")).toBe(true); // SPM ignores the pre-tokenizer
    expect(isKnownTokenizer("gpt2", "made-up")).toBe(false);
    expect(isKnownTokenizer("sentencepiece", undefined)).toBe(false);
    expect(isKnownTokenizer(undefined, undefined)).toBe(false);
  });
});

describe.skipIf(!haveLlamaCppSource)("known lists against the bundled llama.cpp source", () => {
  it("knows exactly the architectures of LLM_ARCH_NAMES", () => {
    const source = readLlamaCppFile("src/llama-arch.cpp");
    const names = [...source.matchAll(/\{\s*LLM_ARCH_\w+,\s*"([^"]+)"\s*\}/g)]
      .map((m) => m[1]!)
      .filter((n) => n !== "(unknown)");
    expect(new Set(names)).toEqual(knownArchitectures);
  });

  it("knows exactly the tokenizer models and BPE pre-tokenizers llama_vocab accepts", () => {
    const source = readLlamaCppFile("src/llama-vocab.cpp");
    const models = new Set([...source.matchAll(/tokenizer_model == "([^"]+)"/g)].map((m) => m[1]!));
    const loadBody = source.slice(source.indexOf("if (tokenizer_pre.empty())"));
    const pres = new Set(
      [
        ...loadBody
          .slice(0, loadBody.indexOf("unknown pre-tokenizer type"))
          .matchAll(/tokenizer_pre == "([^"]+)"/g),
      ].map((m) => m[1]!),
    );
    expect(models).toEqual(knownTokenizerModels);
    expect(pres).toEqual(knownPreTokenizers);
    const bpeBranch = /tokenizer_model == "gpt2"[^\n]*\{/.exec(source)![0];
    for (const model of bpeTokenizerModels) {
      expect(bpeBranch).toContain(`"${model}"`);
    }
  });
});
