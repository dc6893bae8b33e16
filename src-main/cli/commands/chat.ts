import { AppError } from "../../contract/index.js";
import type { Lowbit } from "../../services/lowbit.js";
import { intOption, numberOption, parseCommand, requirePositional } from "../args.js";
import type { Output } from "../output.js";
import { resolveOrInspect } from "./models.js";

/** One reply to one prompt, streamed to stdout; nothing is stored. */
export async function chatCommand(app: Lowbit, args: string[], out: Output): Promise<void> {
  const { positionals, values } = parseCommand("chat", args, {
    prompt: { type: "string", short: "p" },
    "max-tokens": { type: "string" },
    temp: { type: "string" },
    seed: { type: "string" },
    ctx: { type: "string" },
    threads: { type: "string" },
  });
  const ref = requirePositional("chat", positionals, 0, "a model id, name or path");
  const prompt = values.prompt ?? positionals.slice(1).join(" ");
  if (prompt.trim() === "") {
    throw new AppError(
      "invalid_params",
      "chat: missing --prompt TEXT.",
      'Example: lowbit chat starter --prompt "Once upon a time"',
    );
  }
  const settings = app.settings.get();
  const model = await resolveOrInspect(app, ref);
  const request = await app.library.prepareLoad(model, {
    ...settings,
    "runtime.contextSize":
      intOption("chat", "ctx", values.ctx, 64, 1_048_576) ?? settings["runtime.contextSize"],
    "runtime.threads":
      intOption("chat", "threads", values.threads, 0, 256) ?? settings["runtime.threads"],
  });
  out.note(`Loading ${model.name}…`);
  await app.runtime.load(request);
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.once("SIGINT", onSigint);
  try {
    const result = await app.runtime.generate(
      {
        turns: [{ role: "user", content: prompt }],
        maxTokens:
          intOption("chat", "max-tokens", values["max-tokens"], 1, 32_768) ??
          settings["chat.maxTokens"],
        temperature:
          numberOption("chat", "temp", values.temp, 0, 2) ?? settings["chat.temperature"],
        seed: intOption("chat", "seed", values.seed, 0, 2 ** 31 - 1) ?? settings["chat.seed"],
      },
      {
        signal: stop.signal,
        onText: (text) => {
          if (!out.json) {
            process.stdout.write(text);
          }
        },
      },
    );
    const { stopReason, ...stats } = result;
    if (out.json) {
      out.result(stats, () => "");
    } else {
      process.stdout.write("\n");
      out.note(
        `${result.promptTokens} prompt tokens at ${result.promptTps.toFixed(1)} tok/s, ` +
          `${result.tokens} tokens at ${result.decodeTps.toFixed(1)} tok/s (${stopReason})`,
      );
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
}
