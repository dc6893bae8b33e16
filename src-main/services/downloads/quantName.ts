import { parseSplitName } from "../gguf/splitGguf.js";

/**
 * The quantization a GGUF's file name announces ("Llama-3-8B-Instruct-Q4_K_M.gguf" → "Q4_K_M",
 * "gemma-2b.q8_0.gguf" → "Q8_0", "…-UD-Q4_K_XL.gguf" → "UD-Q4_K_XL"). Names are only a
 * convention: the header, read before downloading, says what the file really holds.
 */
const quantPattern =
  /(?:^|[-_.])((?:UD-)?(?:I?Q\d(?:_(?:[0-9]+|[A-Z]{1,3}))*|BF16|F16|F32|TQ[12]_0|MXFP4(?:_MOE)?|NVFP4))(?=[-_.]|$)/gi;

export function quantFromFileName(fileName: string): string | null {
  const base = fileName.split("/").pop() ?? fileName;
  const split = parseSplitName(base);
  const stem = split === null ? base.replace(/\.gguf$/i, "") : split.prefix;
  let last: string | null = null;
  for (const match of stem.matchAll(quantPattern)) {
    last = match[1] ?? null;
  }
  return last === null ? null : last.toUpperCase();
}
