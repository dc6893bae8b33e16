import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { AppError } from "../../contract/index.js";

/**
 * Checks a path the user chose for a model file: absolute after resolving, a `.gguf` name, in
 * an existing folder, and not an existing file unless overwriting was confirmed.
 */
export function validateOutputPath(chosen: string, options: { overwrite: boolean }): string {
  const target = path.resolve(chosen);
  if (!/\.gguf$/i.test(target)) {
    throw new AppError(
      "invalid_params",
      `${path.basename(target)} does not end in .gguf.`,
      "Model files are named *.gguf; add the extension.",
    );
  }
  const folder = path.dirname(target);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new AppError(
      "not_found",
      `The folder ${folder} does not exist.`,
      "Create it first, or choose another place.",
    );
  }
  if (existsSync(target)) {
    if (statSync(target).isDirectory()) {
      throw new AppError("invalid_params", `${target} is a folder.`, "Choose a file name.");
    }
    if (!options.overwrite) {
      throw new AppError(
        "already_exists",
        `${target} already exists.`,
        "Choose another name, or confirm that it may be replaced (--force).",
      );
    }
  }
  return target;
}

/** `fileName` in `folder`, numbered (-1, -2 …) past files and partial files already there. */
export function freeOutputPath(folder: string, fileName: string): string {
  const ext = path.extname(fileName) || ".gguf";
  const stem = path.basename(fileName, path.extname(fileName));
  for (let i = 0; ; i++) {
    const candidate = path.join(folder, i === 0 ? `${stem}${ext}` : `${stem}-${i}${ext}`);
    if (!existsSync(candidate) && !existsSync(`${candidate}.partial`)) {
      return candidate;
    }
  }
}
