import {
  AppError,
  sha256Schema,
  type DownloadCheck,
  type DownloadProgress,
  type PulledModel,
} from "../../contract/index.js";
import type { Lowbit } from "../../services/lowbit.js";
import { parseCommand, requirePositional } from "../args.js";
import { formatGiB, formatParams, type Output } from "../output.js";

/**
 * `lowbit models pull <url|hf:…> [--sha256 HEX] [--name N] [--force]`: checks the file before
 * downloading (size, quant, bits per weight, memory fit, whether this runtime can load it),
 * downloads it with resume and retries, verifies it, and adds it to the library. Ctrl-C pauses;
 * the same command later continues from the data kept (after a crash too).
 */
export async function pullCommand(app: Lowbit, args: string[], out: Output): Promise<void> {
  const { positionals, values } = parseCommand("models pull", args, {
    sha256: { type: "string" },
    name: { type: "string" },
    force: { type: "boolean" },
  });
  const source = requirePositional("models pull", positionals, 0, "a URL or hf:owner/repo");
  let sha256: string | undefined;
  if (values.sha256 !== undefined) {
    const parsed = sha256Schema.safeParse(values.sha256);
    if (!parsed.success) {
      throw new AppError(
        "invalid_params",
        `models pull: --sha256 must be 64 hexadecimal characters, not “${values.sha256}”.`,
      );
    }
    sha256 = parsed.data;
  }
  out.note(`Looking up ${source} …`);
  const check = await app.downloads.check(source, sha256);
  out.note(describeCheck(check));
  const blocking = check.problems.filter((p) => p.severity === "error");
  if (!check.canLoad && values.force !== true) {
    throw new AppError(
      "unsupported",
      `${check.title} would not load here: ${blocking[0]?.message ?? "unknown reason"}`,
      "Nothing was downloaded. Pass --force to download it anyway.",
    );
  }
  const name = values.name?.trim();
  const record = await app.downloads.add({
    source: check.source,
    sha256,
    name: name === undefined || name === "" ? undefined : name,
  });
  if (record.receivedBytes > 0 && record.state !== "done") {
    out.note(`Continuing from ${formatGiB(record.receivedBytes)} already downloaded.`);
  }
  app.downloads.start(record.id);
  const progress = new ProgressPrinter(out);
  const onSigint = (): void => {
    out.note("\nPausing …");
    void app.downloads.pause(record.id).catch(() => undefined);
  };
  process.once("SIGINT", onSigint);
  let model: PulledModel;
  try {
    model = await app.downloads.waitFor(record.id, { onProgress: (p) => progress.show(p) });
  } catch (error) {
    progress.end();
    const current = app.downloads.list().find((d) => d.id === record.id);
    if (current?.state === "paused") {
      throw new AppError(
        "cancelled",
        `Paused at ${formatGiB(current.receivedBytes)}${
          current.totalBytes === null ? "" : ` of ${formatGiB(current.totalBytes)}`
        }; the data is kept.`,
        `Run the same command to continue: lowbit models pull ${check.source}`,
      );
    }
    throw error;
  } finally {
    process.off("SIGINT", onSigint);
  }
  progress.end();
  out.result(model, () => {
    const checked =
      model.checksum === "none"
        ? "checked as a GGUF (no sha256 was published)"
        : `sha256 ${model.checksum === "hub" ? "matches the hub's" : "matches yours"}, GGUF checked`;
    return `Downloaded ${model.name} as ${model.id}: ${checked}.\n${model.path}`;
  });
}

function describeCheck(check: DownloadCheck): string {
  const facts = [
    check.totalBytes === null ? "size unknown" : formatGiB(check.totalBytes),
    check.quant,
    check.bpw === null ? null : `${check.bpw.toFixed(2)} bits/weight`,
    check.arch,
    check.params === null ? null : `${formatParams(check.params)} parameters`,
    check.files.length > 1 ? `${check.files.length} parts` : null,
  ].filter((fact) => fact !== null);
  const lines = [`${check.title}: ${facts.join(", ")}`];
  if (check.memory !== null) {
    const m = check.memory;
    const verdict =
      m.verdict === "fits"
        ? "fits in memory"
        : m.verdict === "tight"
          ? "tight fit"
          : "does not fit";
    lines.push(
      `  memory: ${verdict} — about ${formatGiB(m.totalBytes)} with a ${m.contextSize}-token ` +
        `${m.kvType} KV cache (weights ${formatGiB(m.weightsBytes)}, KV ${formatGiB(m.kvBytes)}); ` +
        `${formatGiB(m.availableBytes)} free of ${formatGiB(m.machineBytes)}`,
    );
  }
  for (const problem of check.problems) {
    lines.push(`  ${problem.severity}: ${problem.message}`);
  }
  return lines.join("\n");
}

/** One updating line on a terminal; a line per state change or 10 % otherwise. */
class ProgressPrinter {
  private lastLine = "";
  private lastDecile = -1;
  private lastPhase = "";
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly out: Output) {}

  show(p: DownloadProgress): void {
    if (this.out.json) {
      return;
    }
    const line = formatProgress(p);
    if (this.tty) {
      if (line !== this.lastLine) {
        process.stderr.write(`\r\x1b[2K${line}`);
        this.lastLine = line;
      }
      return;
    }
    const decile = p.fraction === null ? -1 : Math.floor(p.fraction * 10);
    if (p.phase !== this.lastPhase || decile > this.lastDecile) {
      this.lastPhase = p.phase;
      this.lastDecile = Math.max(this.lastDecile, decile);
      this.out.note(line);
    }
  }

  end(): void {
    if (this.tty && this.lastLine !== "") {
      process.stderr.write("\n");
      this.lastLine = "";
    }
  }
}

export function formatProgress(p: DownloadProgress): string {
  const percent = p.fraction === null ? "" : ` ${Math.floor(p.fraction * 100)}%`;
  const bytes =
    p.totalBytes === null
      ? formatGiB(p.bytes)
      : `${formatGiB(p.bytes)} / ${formatGiB(p.totalBytes)}`;
  switch (p.phase) {
    case "retrying":
      return `retrying in ${p.retryInSeconds ?? "?"} s: ${p.detail ?? "the connection failed"} (${bytes})`;
    case "downloading": {
      const rate = p.bytesPerSecond === null ? "" : `  ${formatGiB(p.bytesPerSecond)}/s`;
      const eta = p.etaSeconds === null ? "" : `  ETA ${formatDuration(p.etaSeconds)}`;
      const note = p.detail === null ? "" : `  (${p.detail})`;
      return `downloading${percent}  ${bytes}${rate}${eta}${note}`;
    }
    case "verifying":
      return "verifying the checksum and the GGUF header …";
    case "done":
      return `downloaded and verified ${bytes}`;
    default:
      return `${p.phase}${percent}  ${bytes}`;
  }
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) {
    return `${s}s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  }
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
