import {
  AppError,
  evictionSchema,
  flashAttentionModeSchema,
  kvCacheTypeSchema,
  type KvSettings,
  type MemorySnapshot,
} from "../../contract/index.js";
import { samplingFrom } from "../../services/chat/chatService.js";
import type { Lowbit } from "../../services/lowbit.js";
import { kvSettingsProblem } from "../../services/runtime/kvSupport.js";
import { formatMiB } from "../../services/runtime/memoryFit.js";
import { intOption, numberOption, parseCommand, requirePositional } from "../args.js";
import type { Output } from "../output.js";
import { resolveOrInspect } from "./models.js";

/** One reply to one prompt, streamed to stdout; nothing is stored. */
export async function chatCommand(app: Lowbit, args: string[], out: Output): Promise<void> {
  const { positionals, values } = parseCommand("chat", args, {
    prompt: { type: "string", short: "p" },
    system: { type: "string" },
    "max-tokens": { type: "string" },
    temp: { type: "string" },
    "top-p": { type: "string" },
    "top-k": { type: "string" },
    "min-p": { type: "string" },
    "repeat-penalty": { type: "string" },
    seed: { type: "string" },
    ctx: { type: "string" },
    threads: { type: "string" },
    "kv-k": { type: "string" },
    "kv-v": { type: "string" },
    fa: { type: "string" },
    evict: { type: "string" },
    sinks: { type: "string" },
    window: { type: "string" },
    force: { type: "boolean" },
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
  const kv = kvFromFlags(settings["runtime.kv"], values);
  const model = await resolveOrInspect(app, ref);
  const request = await app.library.prepareLoad(model, {
    ...settings,
    "runtime.contextSize":
      intOption("chat", "ctx", values.ctx, 64, 1_048_576) ?? settings["runtime.contextSize"],
    "runtime.threads":
      intOption("chat", "threads", values.threads, 0, 256) ?? settings["runtime.threads"],
    "runtime.kv": kv,
  });
  const problem = kvSettingsProblem(
    kv,
    await app.runtime.capabilities(model.path),
    request.contextSize,
  );
  if (problem !== null) {
    throw new AppError("invalid_params", `chat: ${problem}`, "Run: lowbit chat --help");
  }
  out.note(`Loading ${model.name} (KV ${kv.k}/${kv.v}, flash attention ${kv.flashAttention})…`);
  await app.runtime.load(request, { force: values.force ?? false });
  const defaults = samplingFrom(settings);
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.once("SIGINT", onSigint);
  try {
    const result = await app.runtime.generate(
      {
        input: {
          kind: "chat",
          system: values.system ?? null,
          turns: [{ role: "user", content: prompt }],
        },
        sampling: {
          maxTokens:
            intOption("chat", "max-tokens", values["max-tokens"], 1, 32_768) ?? defaults.maxTokens,
          temperature: numberOption("chat", "temp", values.temp, 0, 2) ?? defaults.temperature,
          topP: numberOption("chat", "top-p", values["top-p"], 0, 1) ?? defaults.topP,
          topK: intOption("chat", "top-k", values["top-k"], 0, 1000) ?? defaults.topK,
          minP: numberOption("chat", "min-p", values["min-p"], 0, 1) ?? defaults.minP,
          repeatPenalty:
            numberOption("chat", "repeat-penalty", values["repeat-penalty"], 1, 2) ??
            defaults.repeatPenalty,
          seed: intOption("chat", "seed", values.seed, 0, 2 ** 31 - 1) ?? defaults.seed,
        },
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
    const memory = memoryOf(app.runtime.memory.get());
    const active = app.runtime.state.get().kv;
    if (out.json) {
      out.result(
        {
          text: result.text,
          promptTokens: result.promptTokens,
          tokens: result.tokens,
          promptTps: result.promptTps,
          decodeTps: result.decodeTps,
          stopReason: result.stopReason,
          evictedTokens: result.evictedTokens,
          kv: {
            k: kv.k,
            v: kv.v,
            fa: kv.flashAttention,
            faActive: active?.flashAttention ?? null,
            evict: kv.evict,
          },
          memory,
        },
        () => "",
      );
    } else {
      process.stdout.write("\n");
      out.note(
        `${result.promptTokens} prompt tokens at ${result.promptTps.toFixed(1)} tok/s, ` +
          `${result.tokens} tokens at ${result.decodeTps.toFixed(1)} tok/s (${result.stopReason})`,
      );
      out.note(
        `memory: weights ${formatMiB(memory.weightsBytes)}, KV ${formatMiB(memory.kvBytes)} ` +
          `(${kv.k}/${kv.v}), compute ${formatMiB(memory.computeBytes)}, ` +
          `process ${formatMiB(memory.rssBytes)}`,
      );
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
}

type Flags = Partial<Record<"kv-k" | "kv-v" | "fa" | "evict" | "sinks" | "window", string>>;

/** The saved KV settings with the command line's flags on top, each checked by name. */
export function kvFromFlags(saved: KvSettings, flags: Flags): KvSettings {
  const pick = <T>(
    flag: string,
    value: string | undefined,
    schema: { safeParse(v: unknown): { success: boolean; data?: T } },
    choices: string,
  ): T | undefined => {
    if (value === undefined) {
      return undefined;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new AppError(
        "invalid_params",
        `chat: --${flag} must be one of ${choices}, not “${value}”.`,
      );
    }
    return parsed.data;
  };
  const types = kvCacheTypeSchema.options.join(", ");
  const policy = pick("evict", flags.evict, evictionSchema.shape.policy, "none, window");
  return {
    k: pick("kv-k", flags["kv-k"], kvCacheTypeSchema, types) ?? saved.k,
    v: pick("kv-v", flags["kv-v"], kvCacheTypeSchema, types) ?? saved.v,
    flashAttention:
      pick("fa", flags.fa, flashAttentionModeSchema, "auto, on, off") ?? saved.flashAttention,
    evict: {
      policy: policy ?? saved.evict.policy,
      sinks: intOption("chat", "sinks", flags.sinks, 1, 1024) ?? saved.evict.sinks,
      window: intOption("chat", "window", flags.window, 0, 1_048_576) ?? saved.evict.window,
    },
  };
}

function memoryOf(snapshot: MemorySnapshot | null) {
  return {
    weightsBytes: snapshot === null ? 0 : snapshot.weights.ramBytes + snapshot.weights.vramBytes,
    kvBytes: snapshot?.kv.allocatedBytes ?? 0,
    kvUsedBytes: snapshot?.kv.usedBytes ?? 0,
    computeBytes: snapshot?.computeBytes ?? 0,
    rssBytes: snapshot?.rssBytes ?? 0,
    vramBytes: snapshot?.vram?.usedBytes ?? 0,
  };
}
