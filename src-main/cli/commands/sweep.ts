import { AppError, imatrixChoiceSchema, type SweepItem } from "../../contract/index.js";
import type { Lowbit } from "../../services/lowbit.js";
import { intOption, parseCommand, requirePositional } from "../args.js";
import { formatGiB, table, type Output } from "../output.js";
import { formatKld, formatPercent, metricsJson } from "./evalOutput.js";

/**
 * `lowbit sweep <model> --levels A,B,… [--text FILE] [--ctx N] [--chunks N] [--threads N]
 * [--imatrix auto|on|off]`: quantize and measure each level, skipping what was done before.
 */
export async function sweepCommand(app: Lowbit, args: string[], out: Output): Promise<void> {
  const { positionals, values } = parseCommand("sweep", args, {
    levels: { type: "string" },
    text: { type: "string" },
    ctx: { type: "string" },
    chunks: { type: "string" },
    threads: { type: "string" },
    imatrix: { type: "string" },
  });
  const model = app.library.resolve(
    requirePositional("sweep", positionals, 0, "a model id, name or path"),
  );
  const levels = (values.levels ?? "")
    .split(",")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (levels.length === 0) {
    throw new AppError(
      "invalid_params",
      "sweep: --levels is required, e.g. --levels Q8_0,Q4_K_M,Q2_K.",
      `See the levels for this model: lowbit levels ${model.id}`,
    );
  }
  const imatrix = imatrixChoiceSchema.safeParse(values.imatrix ?? "auto");
  if (!imatrix.success) {
    throw new AppError("invalid_params", "sweep: --imatrix must be auto, on or off.");
  }
  const stop = new AbortController();
  const onInterrupt = (): void => {
    out.note("Cancelling…");
    stop.abort();
  };
  process.once("SIGINT", onInterrupt);
  let lastNote = "";
  try {
    const { items } = await app.evaluate.sweep(
      {
        modelId: model.id,
        levels,
        textPath: values.text,
        contextSize: intOption("sweep", "ctx", values.ctx, 16, 65_536),
        chunks: intOption("sweep", "chunks", values.chunks, 1, 100_000),
        threads: intOption("sweep", "threads", values.threads, 1, 256) ?? 0,
        imatrix: imatrix.data,
      },
      {
        signal: stop.signal,
        progress: (p) => {
          const note = `[${p.index + 1}/${p.count}] ${p.detail}`;
          if (p.step !== "evaluate" || /chunk (\d*[08]) of|saving/.test(p.detail)) {
            if (note !== lastNote) {
              lastNote = note;
              out.note(note);
            }
          }
        },
      },
    );
    out.result(items.map(itemJson), () => sweepTable(items));
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
}

function itemJson(item: SweepItem) {
  const model = item.evaluation?.model;
  return {
    level: item.level,
    runId: item.run?.id ?? item.evaluation?.runId ?? null,
    modelId: item.run?.outputModelId ?? model?.id ?? null,
    sizeBytes: item.run?.sizeBytes ?? model?.sizeBytes ?? null,
    bpw: item.run?.bpw ?? model?.bpw ?? null,
    ...(item.evaluation === null ? {} : metricsJson(item.evaluation)),
    reusedRun: item.reusedRun,
    reusedEvaluation: item.reusedEvaluation,
    error: item.error,
  };
}

/** llama.cpp's level table: size, bits per weight, ΔPPL, KLD, same top token, decode speed. */
function sweepTable(items: SweepItem[]): string {
  return table([
    ["LEVEL", "SIZE", "BPW", "PPL", "ΔPPL", "KLD", "TOP-1", "DECODE", "NOTE"],
    ...items.map((item) => {
      const m = item.evaluation?.metrics ?? null;
      const size = item.run?.sizeBytes ?? item.evaluation?.model.sizeBytes ?? null;
      const bpw = item.run?.bpw ?? item.evaluation?.model.bpw ?? null;
      return [
        item.level,
        size === null ? "" : formatGiB(size),
        bpw === null ? "" : bpw.toFixed(2),
        m === null ? "" : m.ppl.toFixed(3),
        m === null ? "" : m.deltaPpl.toFixed(3),
        m === null ? "" : formatKld(m.kld),
        m === null ? "" : formatPercent(m.top1),
        m?.decodeTps == null ? "" : `${m.decodeTps.toFixed(0)} tok/s`,
        item.error !== null
          ? item.error.message
          : item.reusedEvaluation
            ? "measured before"
            : item.reusedRun
              ? "earlier run, measured now"
              : "",
      ];
    }),
  ]);
}
