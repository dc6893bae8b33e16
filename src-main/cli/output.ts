import { toErrorData, type AppErrorData } from "../contract/index.js";

/** Where a command writes: one JSON object on stdout with --json, readable text otherwise. */
export class Output {
  constructor(readonly json: boolean) {}

  /** The command's result: JSON on stdout, or `text()` for people. */
  result(value: unknown, text: () => string): void {
    process.stdout.write(this.json ? `${JSON.stringify(value)}\n` : `${text()}\n`);
  }

  /** Progress and notes go to stderr, so stdout stays clean for pipes (and silent with --json). */
  note(line: string): void {
    if (!this.json) {
      process.stderr.write(`${line}\n`);
    }
  }

  error(error: unknown): AppErrorData {
    const data = toErrorData(error);
    if (this.json) {
      process.stdout.write(`${JSON.stringify({ error: data })}\n`);
    } else {
      process.stderr.write(`error: ${data.message}\n`);
      if (data.hint !== undefined) {
        process.stderr.write(`hint: ${data.hint}\n`);
      }
    }
    return data;
  }
}

export function formatGiB(bytes: number): string {
  if (bytes >= 2 ** 30) {
    return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  }
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export function formatParams(params: number): string {
  if (params >= 1e9) {
    return `${(params / 1e9).toFixed(2)} B`;
  }
  return `${(params / 1e6).toFixed(1)} M`;
}

export function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
