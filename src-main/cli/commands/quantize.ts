import { AppError, imatrixChoiceSchema, quantizeMethodSchema } from "../../contract/index.js";
import type { Lowbit } from "../../services/lowbit.js";
import { intOption, parseCommand, requirePositional } from "../args.js";
import { formatGiB, type Output } from "../output.js";

/**
 * `lowbit quantize <model> --level NAME [--imatrix-text FILE] [--method rtn|gptq]
 * [--calibration-text FILE] [--out PATH] [--threads N]`: one quantization; the result joins the
 * library. Ctrl-C cancels and keeps nothing.
 */
export async function quantizeCommand(app: Lowbit, args: string[], out: Output): Promise<void> {
  const { positionals, values } = parseCommand("quantize", args, {
    level: { type: "string" },
    imatrix: { type: "string" },
    "imatrix-text": { type: "string" },
    chunks: { type: "string" },
    out: { type: "string" },
    name: { type: "string" },
    threads: { type: "string" },
    "allow-requantize": { type: "boolean" },
    method: { type: "string" },
    "calibration-text": { type: "string" },
    "calibration-chunks": { type: "string" },
  });
  const model = app.library.resolve(
    requirePositional("quantize", positionals, 0, "a model id, name or path"),
  );
  if (values.level === undefined) {
    throw new AppError(
      "invalid_params",
      "quantize: --level is required.",
      `See the levels for this model: lowbit levels ${model.id}`,
    );
  }
  const imatrix = imatrixChoiceSchema.safeParse(values.imatrix ?? "auto");
  if (!imatrix.success) {
    throw new AppError("invalid_params", "quantize: --imatrix must be auto, on or off.");
  }
  const method =
    values.method === undefined ? undefined : quantizeMethodSchema.safeParse(values.method);
  if (method !== undefined && !method.success) {
    throw new AppError(
      "invalid_params",
      `quantize: --method must be rtn or gptq, not “${values.method}”.`,
      "rtn: llama.cpp's rounding; gptq: calibrated rounding on a text (PTQTP's default).",
    );
  }
  const stop = new AbortController();
  const onInterrupt = (): void => {
    out.note("Cancelling…");
    stop.abort();
  };
  process.once("SIGINT", onInterrupt);
  let lastNote = "";
  try {
    const {
      run,
      model: made,
      reused,
    } = await app.compress.quantize(
      {
        modelId: model.id,
        level: values.level,
        imatrix: imatrix.data,
        imatrixTextPath: values["imatrix-text"],
        imatrixChunks: intOption("quantize", "chunks", values.chunks, 1, 100_000),
        threads: intOption("quantize", "threads", values.threads, 1, 256) ?? 0,
        outPath: values.out,
        name: values.name,
        allowRequantize: values["allow-requantize"] === true,
        method: method?.data,
        calibrationTextPath: values["calibration-text"],
        calibrationChunks: intOption(
          "quantize",
          "calibration-chunks",
          values["calibration-chunks"],
          1,
          100_000,
        ),
      },
      {
        signal: stop.signal,
        progress: (p) => {
          const note =
            p.phase === "quantizing" && p.tensorIndex !== undefined
              ? `quantizing ${Math.floor(p.fraction * 100)}%`
              : p.phase === "calibrating" && p.chunk !== undefined
                ? `calibrating ${p.chunk}/${p.chunks}`
                : p.phase === "compensating" && p.tensorIndex !== undefined
                  ? `compensating ${p.tensorIndex}/${p.tensorCount}`
                  : p.phase;
          if (note !== lastNote && (p.phase !== "quantizing" || /0%$/.test(note))) {
            lastNote = note;
            out.note(note);
          }
        },
      },
    );
    const result = {
      runId: run.id,
      modelId: made.id,
      level: run.level,
      sizeBytes: run.sizeBytes ?? made.sizeBytes,
      bpw: run.bpw ?? made.bpw,
      seconds: (run.durationMs ?? 0) / 1000,
      outputPath: made.path,
      imatrix: run.imatrix,
      method: run.method ?? "rtn",
      gptq: run.gptq ?? null,
      reused,
    };
    out.result(
      result,
      () =>
        `${made.name} (${made.id}): ${formatGiB(result.sizeBytes)}, ${result.bpw.toFixed(2)} bpw, ` +
        `in ${result.seconds.toFixed(1)} s${run.imatrix ? ", with an importance matrix" : ""}` +
        (run.gptq
          ? `, calibrated rounding (gptq) of ${run.gptq.tensors ?? 0} weight matrices on ${run.gptq.tokens ?? 0} tokens of ${run.gptq.dataset}.`
          : ".") +
        (reused ? "\nThe library already had this exact file; the run points at it." : "") +
        `\n${made.path}`,
    );
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
}
