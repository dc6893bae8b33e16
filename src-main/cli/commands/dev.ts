import path from "node:path";
import { AppError } from "../../contract/index.js";
import { writeTinyModel } from "../../services/gguf/tinyModel.js";
import { intOption, parseCommand } from "../args.js";
import { formatGiB, type Output } from "../output.js";

/** Developer tools: `dev tiny-model` writes a random-weight llama GGUF for tests. */
export async function devCommand(args: string[], out: Output): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== "tiny-model") {
    throw new AppError(
      "invalid_params",
      `dev: unknown subcommand “${sub ?? ""}”.`,
      "Use: lowbit dev tiny-model --out PATH",
    );
  }
  const { values } = parseCommand("dev tiny-model", rest, {
    out: { type: "string" },
    embd: { type: "string" },
    layers: { type: "string" },
    ff: { type: "string" },
    vocab: { type: "string" },
    type: { type: "string" },
    seed: { type: "string" },
  });
  if (values.out === undefined) {
    throw new AppError("invalid_params", "dev tiny-model: missing --out PATH.");
  }
  if (values.type !== undefined && values.type !== "f32" && values.type !== "f16") {
    throw new AppError(
      "invalid_params",
      `dev tiny-model: --type must be f32 or f16, not “${values.type}”.`,
    );
  }
  const embd = intOption("dev tiny-model", "embd", values.embd, 256, 8192);
  const ff = intOption("dev tiny-model", "ff", values.ff, 256, 32768);
  for (const [name, value] of [
    ["embd", embd],
    ["ff", ff],
  ] as const) {
    if (value !== undefined && value % 256 !== 0) {
      throw new AppError(
        "invalid_params",
        `dev tiny-model: --${name} must be a multiple of 256 so k-quants apply.`,
      );
    }
  }
  const model = await writeTinyModel({
    path: path.resolve(values.out),
    ...(embd === undefined ? {} : { embd }),
    ...(ff === undefined ? {} : { ff }),
    ...optional("layers", intOption("dev tiny-model", "layers", values.layers, 1, 64)),
    ...optional("vocab", intOption("dev tiny-model", "vocab", values.vocab, 259, 262_144)),
    ...optional("seed", intOption("dev tiny-model", "seed", values.seed, 0, 2 ** 31 - 1)),
    ...(values.type === undefined ? {} : { type: values.type }),
  });
  out.result(
    { ...model.settings, path: model.path, sizeBytes: model.fileSize },
    () => `Wrote ${model.path} (${formatGiB(model.fileSize)}).`,
  );
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}
