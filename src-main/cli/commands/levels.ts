import { levelKvTypeSchema, type LevelKvType } from "../../contract/index.js";
import { AppError } from "../../contract/index.js";
import type { Lowbit } from "../../services/lowbit.js";
import { intOption, parseCommand, requirePositional } from "../args.js";
import { formatGiB, table, type Output } from "../output.js";

/** `lowbit levels <model> [--ctx N] [--kv-k T --kv-v T]`: every level with its exact size. */
export async function levelsCommand(app: Lowbit, args: string[], out: Output): Promise<void> {
  const { positionals, values } = parseCommand("levels", args, {
    ctx: { type: "string" },
    "kv-k": { type: "string" },
    "kv-v": { type: "string" },
  });
  const model = app.library.resolve(
    requirePositional("levels", positionals, 0, "a model id, name or path"),
  );
  const result = await app.compress.levels(model.id, {
    contextSize: intOption("levels", "ctx", values.ctx, 128, 1_048_576),
    kvTypeK: kvType("kv-k", values["kv-k"]),
    kvTypeV: kvType("kv-v", values["kv-v"]),
  });
  const rows = result.levels.map((l) => ({
    level: l.level,
    bpw: Number(l.bpw.toFixed(4)),
    sizeBytes: l.sizeBytes,
    fits: l.fits !== "no",
    fit: l.fits,
    available: l.available,
    needsImatrix: l.needsImatrix,
    imatrixDefault: l.imatrixDefault,
    /** Rounding methods this level offers, the default first. */
    methods:
      l.gptqOffered === true
        ? [l.methodDefault ?? "rtn", ...(l.methodDefault === "gptq" ? ["rtn"] : ["gptq"])]
        : ["rtn"],
    ...(l.reason === undefined ? {} : { reason: l.reason }),
  }));
  out.result(rows, () =>
    [
      `${result.model.name}: ${formatGiB(result.model.sizeBytes)}, ${result.model.bpw.toFixed(2)} bpw` +
        `; context ${result.contextSize} with ${result.kvTypeK}/${result.kvTypeV} KV ` +
        `(${formatGiB(result.kvCacheBytes)}), ${formatGiB(result.memory.availableBytes)} free`,
      "",
      table([
        ["LEVEL", "BPW", "SIZE", "OF SOURCE", "FIT", "CALIBRATION", "ROUNDING", "NOTE"],
        ...result.levels.map((l) => [
          l.level,
          l.bpw.toFixed(2),
          formatGiB(l.sizeBytes),
          `${(l.sizeFraction * 100).toFixed(0)}%`,
          l.fits,
          l.needsImatrix ? "required" : l.imatrixDefault ? "on" : "off",
          l.gptqOffered !== true
            ? "plain"
            : l.methodDefault === "gptq"
              ? "gptq|plain"
              : "plain|gptq",
          l.available ? l.note : `unavailable: ${l.reason ?? ""}`,
        ]),
      ]),
    ].join("\n"),
  );
}

function kvType(flag: string, value: string | undefined): LevelKvType | undefined {
  if (value === undefined) {
    return undefined;
  }
  const parsed = levelKvTypeSchema.safeParse(value.toLowerCase());
  if (!parsed.success) {
    throw new AppError(
      "invalid_params",
      `levels: --${flag} must be one of ${levelKvTypeSchema.options.join(", ")}, not “${value}”.`,
    );
  }
  return parsed.data;
}
