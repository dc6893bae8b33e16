import type { Lowbit } from "../../services/lowbit.js";
import { intOption, parseCommand, requirePositional } from "../args.js";
import type { Output } from "../output.js";
import { describeEvaluation, metricsJson } from "./evalOutput.js";

/**
 * `lowbit eval <model> [--base <model>] [--text FILE] [--ctx N] [--chunks N] [--threads N]
 * [--force]`: what a model costs against its base. Ctrl-C cancels and records nothing.
 */
export async function evalCommand(app: Lowbit, args: string[], out: Output): Promise<void> {
  const { positionals, values } = parseCommand("eval", args, {
    base: { type: "string" },
    text: { type: "string" },
    ctx: { type: "string" },
    chunks: { type: "string" },
    threads: { type: "string" },
    force: { type: "boolean" },
  });
  const model = app.library.resolve(
    requirePositional("eval", positionals, 0, "a model id, name or path"),
  );
  const base = values.base === undefined ? undefined : app.library.resolve(values.base);
  const stop = new AbortController();
  const onInterrupt = (): void => {
    out.note("Cancelling…");
    stop.abort();
  };
  process.once("SIGINT", onInterrupt);
  let lastNote = "";
  try {
    const { evaluation, reused } = await app.evaluate.measure(
      {
        modelId: model.id,
        baseModelId: base?.id,
        textPath: values.text,
        contextSize: intOption("eval", "ctx", values.ctx, 16, 65_536),
        chunks: intOption("eval", "chunks", values.chunks, 1, 100_000),
        threads: intOption("eval", "threads", values.threads, 1, 256) ?? 0,
        force: values.force === true,
      },
      {
        signal: stop.signal,
        progress: (p) => {
          const note =
            p.chunk === undefined
              ? p.phase
              : `${p.phase === "base" ? "base model" : "model"}: chunk ${p.chunk} of ${p.chunks}`;
          if (
            note !== lastNote &&
            (p.chunk === undefined || p.chunk % 8 === 0 || p.chunk === p.chunks)
          ) {
            lastNote = note;
            out.note(note);
          }
        },
      },
    );
    const metrics = metricsJson(evaluation);
    out.result(
      {
        ...metrics,
        runId: evaluation.runId,
        model: evaluation.model,
        base: evaluation.base,
        reused,
      },
      () =>
        describeEvaluation(evaluation) +
        (reused ? `\nMeasured before (${evaluation.createdAt}); --force measures again.` : ""),
    );
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
}
