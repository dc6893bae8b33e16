import { AppError, type Run } from "../../contract/index.js";
import type { Lowbit } from "../../services/lowbit.js";
import { intOption, parseCommand, requirePositional } from "../args.js";
import { formatGiB, table, type Output } from "../output.js";
import { formatKld, formatPercent, metricsJson } from "./evalOutput.js";

/**
 * `lowbit runs list [--model M] [--limit N]` (with each run's newest measurement) and
 * `lowbit runs show <id>`.
 */
export async function runsCommand(app: Lowbit, args: string[], out: Output): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "list":
    case "ls": {
      const { values } = parseCommand("runs list", rest, {
        model: { type: "string" },
        limit: { type: "string" },
      });
      const modelId = values.model === undefined ? undefined : app.library.resolve(values.model).id;
      const runs = app.compress.runs.list(
        intOption("runs list", "limit", values.limit, 1, 1000) ?? 200,
        modelId,
      );
      // Each run with its newest measurement against its source (null: not measured yet).
      const measured = app.evaluate.latestByRun();
      const withMetrics = runs.map((r) => {
        const evaluation = measured.get(r.id);
        return { ...r, metrics: evaluation === undefined ? null : metricsJson(evaluation) };
      });
      out.result(withMetrics, () =>
        runs.length === 0
          ? "No runs yet. Compress a model: lowbit quantize <model> --level Q4_K_M"
          : table([
              [
                "RUN",
                "WHEN",
                "SOURCE",
                "LEVEL",
                "IMATRIX",
                "SIZE",
                "BPW",
                "TIME",
                "STATUS",
                "ΔPPL",
                "KLD",
                "TOP-1",
              ],
              ...withMetrics.map((r) => [
                r.id.slice(0, 8),
                r.createdAt.slice(0, 16).replace("T", " "),
                r.sourceName,
                r.level,
                r.imatrix ? "yes" : "no",
                r.sizeBytes === null ? "" : formatGiB(r.sizeBytes),
                r.bpw === null ? "" : r.bpw.toFixed(2),
                r.durationMs === null ? "" : `${(r.durationMs / 1000).toFixed(1)} s`,
                r.status,
                r.metrics === null ? "" : r.metrics.deltaPpl.toFixed(3),
                r.metrics === null ? "" : formatKld(r.metrics.kld),
                r.metrics === null ? "" : formatPercent(r.metrics.top1),
              ]),
            ]),
      );
      return;
    }
    case "show": {
      const { positionals } = parseCommand("runs show", rest, {});
      const found = findRun(app, requirePositional("runs show", positionals, 0, "a run id"));
      const evaluation = app.evaluate.latestByRun().get(found.id);
      const run = { ...found, metrics: evaluation === undefined ? null : metricsJson(evaluation) };
      out.result(run, () => JSON.stringify(run, null, 2));
      return;
    }
    default:
      throw new AppError(
        "invalid_params",
        sub === undefined ? "runs: missing subcommand." : `runs: unknown subcommand “${sub}”.`,
        "Use one of: list, show.",
      );
  }
}

/** A run by its id or by a unique prefix of it (the list shows 8 characters). */
export function findRun(app: Lowbit, ref: string): Run {
  const matches = app.compress.runs.list(1000).filter((r) => r.id === ref || r.id.startsWith(ref));
  if (matches.length === 1 && matches[0] !== undefined) {
    return matches[0];
  }
  throw new AppError(
    "not_found",
    matches.length === 0 ? `No run “${ref}”.` : `Several runs start with “${ref}”.`,
    "List runs to see their ids: lowbit runs list",
  );
}
