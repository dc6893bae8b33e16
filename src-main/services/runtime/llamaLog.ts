import { LlamaLogLevel } from "node-llama-cpp";

/**
 * llama.cpp's log, read for the facts it only prints: whether "auto" flash attention came out
 * on. Warnings and errors go to stderr, where a crash report finds them.
 */
export class LlamaLog {
  /** The last "Flash Attention enabled/disabled" llama.cpp printed, cleared before each context. */
  flashAttention: boolean | null = null;

  readonly logger = (level: LlamaLogLevel, message: string): void => {
    const fa = /flash[ _]attn\s*=\s*(enabled|disabled)|Flash Attention (enabled|disabled)/i.exec(
      message,
    );
    if (fa !== null) {
      this.flashAttention = (fa[1] ?? fa[2])?.toLowerCase() === "enabled";
    }
    if (level === LlamaLogLevel.error || level === LlamaLogLevel.warn) {
      process.stderr.write(`[llama.cpp] ${message.trimEnd()}\n`);
    }
  };
}
