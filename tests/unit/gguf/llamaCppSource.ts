import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The llama.cpp source node-llama-cpp bundles, extracted by `node-llama-cpp source download`. */
export const llamaCppDir =
  process.env.LOWBIT_LLAMA_SRC ??
  join(process.cwd(), "node_modules/node-llama-cpp/llama/llama.cpp");

/** Tests that check our tables against the source skip (saying so) when it is not extracted. */
export const haveLlamaCppSource = existsSync(join(llamaCppDir, "ggml/include/ggml.h"));

export function readLlamaCppFile(relativePath: string): string {
  return readFileSync(join(llamaCppDir, relativePath), "utf8");
}
