import { existsSync } from "node:fs";
import { rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { AppError, type Evaluation, type ExportResult, type Model } from "../../contract/index.js";
import { asDiskFullError, ensureFreeSpace } from "../library/diskSpace.js";
import { hashFile } from "../library/fileHashing.js";
import type { LibraryService } from "../library/libraryService.js";
import { rewriteGgufMetadata } from "../gguf/rewriteGgufMetadata.js";
import { modelCard } from "./modelCard.js";
import { validateOutputPath } from "./outputPath.js";
import { asGgufValue, provenanceFor } from "./provenance.js";
import type { RunsService } from "./runsService.js";

export interface ExportRequest {
  modelId?: string | undefined;
  runId?: string | undefined;
  path: string;
  overwrite: boolean;
}

export interface ExportContext {
  signal?: AbortSignal;
  progress?: (packet: { phase: "writing" | "hashing"; fraction: number }) => void;
}

/**
 * Writes a model where the user chose, with `lowbit.*` provenance in its metadata, then
 * `<file>.sha256` (sha256sum's format) and a Markdown card `<name>.md` next to it. Each file is
 * written to `.partial` and renamed; nothing existing is replaced without `overwrite`.
 */
export interface ExportDeps {
  library: LibraryService;
  runs: RunsService;
  /** The newest measurement of a model against its base, when the evaluation service has one. */
  measurementOf?: ((model: Model) => Evaluation | undefined) | null;
}

export async function exportModel(
  deps: ExportDeps,
  request: ExportRequest,
  ctx: ExportContext = {},
): Promise<ExportResult> {
  const { model, run } = resolveSubject(deps, request);
  if (!existsSync(model.path)) {
    throw new AppError(
      "not_found",
      `The file of “${model.name}” is gone: ${model.path}.`,
      "Remove the model and make it again.",
    );
  }
  const target = validateOutputPath(request.path, { overwrite: request.overwrite });
  if (target === path.resolve(model.path)) {
    throw new AppError(
      "invalid_params",
      "That is the model's own file in the library.",
      "Choose a place outside Lowbit's models folder.",
    );
  }
  const sha256Path = `${target}.sha256`;
  const cardPath = target.replace(/\.gguf$/i, ".md");
  for (const sidecar of [sha256Path, cardPath]) {
    if (existsSync(sidecar) && !request.overwrite) {
      throw new AppError(
        "already_exists",
        `${sidecar} already exists.`,
        "Choose another name, or confirm that the files may be replaced (--force).",
      );
    }
  }
  await ensureFreeSpace(path.dirname(target), model.sizeBytes, "the exported model");

  const measurement = deps.measurementOf?.(model);
  const provenance = provenanceFor(model, run, new Date().toISOString(), measurement);
  try {
    await rewriteGgufMetadata(
      model.path,
      target,
      (metadata) => {
        for (const [key, value] of Object.entries(provenance)) {
          metadata.set(key, asGgufValue(key, value));
        }
      },
      {
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
        onProgress: (written, total) =>
          ctx.progress?.({ phase: "writing", fraction: total === 0 ? 1 : (0.8 * written) / total }),
      },
    );
  } catch (error) {
    throw asDiskFullError(error, path.dirname(target));
  }
  const { size } = await stat(target);
  const sha256 = await hashFile(target, ctx.signal, (bytes) =>
    ctx.progress?.({ phase: "hashing", fraction: 0.8 + (0.2 * bytes) / size }),
  );
  await writeAtomically(sha256Path, `${sha256}  ${path.basename(target)}\n`);
  await writeAtomically(
    cardPath,
    modelCard({ ...model, sizeBytes: size }, run, target, sha256, measurement),
  );
  ctx.progress?.({ phase: "hashing", fraction: 1 });
  return { path: target, sha256, sizeBytes: size, sha256Path, cardPath, provenance };
}

function resolveSubject(
  deps: { library: LibraryService; runs: RunsService },
  request: ExportRequest,
) {
  if (request.runId !== undefined) {
    const run = deps.runs.get(request.runId);
    if (run.status !== "done" || run.outputModelId === null) {
      throw new AppError(
        "invalid_params",
        `Run ${run.id} did not produce a model (${run.status}).`,
        "Export a finished run, or the model itself.",
      );
    }
    if (!deps.library.has(run.outputModelId)) {
      throw new AppError(
        "not_found",
        `The model run ${run.id} made was removed from the library.`,
        "Run the compression again to get it back.",
      );
    }
    return { model: deps.library.get(run.outputModelId), run };
  }
  const model = deps.library.get(request.modelId ?? "");
  return { model, run: deps.runs.producerOf(model.id) };
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const partial = `${file}.partial`;
  try {
    await writeFile(partial, text);
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
}
