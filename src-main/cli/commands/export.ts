import { AppError } from "../../contract/index.js";
import type { Lowbit } from "../../services/lowbit.js";
import { parseCommand, requirePositional } from "../args.js";
import type { Output } from "../output.js";
import { findRun } from "./runs.js";

/**
 * `lowbit export <model|run> --out PATH [--force]`: the model with lowbit.* provenance in its
 * metadata, PATH.sha256 and a Markdown card next to it.
 */
export async function exportCommand(app: Lowbit, args: string[], out: Output): Promise<void> {
  const { positionals, values } = parseCommand("export", args, {
    out: { type: "string" },
    force: { type: "boolean" },
  });
  const ref = requirePositional("export", positionals, 0, "a model (id, name or path) or a run id");
  if (values.out === undefined) {
    throw new AppError(
      "invalid_params",
      "export: --out PATH is required.",
      "Say where to write it.",
    );
  }
  const subject = resolveSubject(app, ref);
  const result = await app.compress.export({
    ...subject,
    path: values.out,
    overwrite: values.force === true,
  });
  out.result(
    { path: result.path, sha256: result.sha256, sizeBytes: result.sizeBytes },
    () =>
      `Wrote ${result.path}\n  ${result.sha256Path}\n  ${result.cardPath}\nsha256 ${result.sha256}`,
  );
}

function resolveSubject(app: Lowbit, ref: string): { modelId: string } | { runId: string } {
  try {
    return { modelId: app.library.resolve(ref).id };
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== "not_found") {
      throw error;
    }
    try {
      return { runId: findRun(app, ref).id };
    } catch {
      throw error;
    }
  }
}
