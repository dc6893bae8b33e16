import { existsSync, readdirSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Database } from "better-sqlite3";
import { AppError, type Model, type Settings } from "../../contract/index.js";
import { Signal } from "../../rpc/signal.js";
import type { LowbitPaths } from "../config/paths.js";
import { splitCount, splitSetPaths } from "../gguf/splitGguf.js";
import type { LoadRequest } from "../runtime/modelRuntime.js";
import type { SettingsService } from "../settings/settingsService.js";
import {
  deleteModel,
  findModelByPath,
  findModelBySha256,
  findModelsByName,
  getModel,
  insertModel,
  listModels,
  renameModel,
} from "../storage/queries/models.js";
import { asDiskFullError, ensureFreeSpace } from "./diskSpace.js";
import { copyAndHash, hashFile } from "./fileHashing.js";
import { inspectModelFile, type InspectedModel } from "./inspectModelFile.js";

export interface ImportProgress {
  phase: "checking" | "copying" | "hashing" | "registering";
  fraction: number;
  bytes?: number;
  totalBytes?: number;
}

export interface ImportContext {
  signal?: AbortSignal;
  progress?: (packet: ImportProgress) => void;
  setPartialPath?: (path: string | null) => void;
}

/**
 * The model library: GGUF files Lowbit knows, each checked, hashed and described once at import.
 * Copies live in `<home>/models`; linked files stay where the user keeps them.
 */
export class LibraryService {
  /** The library as it is now; every change below publishes a new snapshot. */
  readonly changed: Signal<Model[]>;

  constructor(
    private readonly db: Database,
    private readonly paths: LowbitPaths,
    private readonly settings: SettingsService,
    private readonly resources: string,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {
    this.changed = new Signal(listModels(db));
  }

  private publish(): void {
    this.changed.set(listModels(this.db));
  }

  list(): Model[] {
    return listModels(this.db);
  }

  has(id: string): boolean {
    return getModel(this.db, id) !== undefined;
  }

  get(id: string): Model {
    const model = getModel(this.db, id);
    if (model === undefined) {
      throw new AppError(
        "not_found",
        `No model with id ${id} in the library.`,
        "List models to see their ids.",
      );
    }
    return model;
  }

  /** An id, a unique name, or the path of a model in the library. */
  resolve(ref: string): Model {
    const byId = getModel(this.db, ref);
    if (byId !== undefined) {
      return byId;
    }
    const byName = findModelsByName(this.db, ref);
    if (byName.length === 1 && byName[0] !== undefined) {
      return byName[0];
    }
    if (byName.length > 1) {
      throw new AppError(
        "not_found",
        `Several models are called “${ref}”.`,
        "Use the model's id instead.",
      );
    }
    const byPath = findModelByPath(this.db, path.resolve(ref));
    if (byPath !== undefined) {
      return byPath;
    }
    throw new AppError(
      "not_found",
      `No model “${ref}” in the library.`,
      existsSync(ref)
        ? `Import it first: lowbit models import ${ref}`
        : "List models to see their ids and names.",
    );
  }

  /** Describes a model file without adding it to the library (e.g. `lowbit chat ./file.gguf`). */
  async inspect(filePath: string): Promise<Model> {
    const absolute = path.resolve(filePath);
    const inspected = await inspectModelFile(absolute);
    return this.recordFor(inspected, {
      id: "unregistered",
      path: absolute,
      linked: true,
      sha256: "",
      source: "imported",
      name: undefined,
    });
  }

  async import(
    params: { path: string; name?: string | undefined; link: boolean },
    ctx: ImportContext = {},
    source: Model["source"] = "imported",
  ): Promise<Model> {
    const from = path.resolve(params.path);
    ctx.progress?.({ phase: "checking", fraction: 0 });
    const inspected = await inspectModelFile(from);
    const parts = splitCount(inspected.file);
    if (parts > 1 && !params.link) {
      // Copying only the first part would register a model llama.cpp cannot open.
      throw new AppError(
        "unsupported",
        `${path.basename(from)} is the first of the ${parts} files of a split model, which ` +
          "Lowbit cannot copy into its library yet.",
        "Import it with “link” to use the parts where they are.",
      );
    }
    const existingAtPath = findModelByPath(this.db, from);
    if (existingAtPath !== undefined) {
      throw alreadyThere(existingAtPath);
    }
    const totalBytes = inspected.file.fileSize;
    const report = (phase: ImportProgress["phase"]) => (bytes: number) =>
      ctx.progress?.({
        phase,
        fraction: totalBytes === 0 ? 1 : bytes / totalBytes,
        bytes,
        totalBytes,
      });

    let target = from;
    let sha256: string;
    if (params.link) {
      sha256 = await hashFile(from, ctx.signal, report("hashing"));
    } else {
      await ensureFreeSpace(this.paths.models, totalBytes, path.basename(from));
      target = this.freeModelPath(path.basename(from));
      const partial = `${target}.partial`;
      ctx.setPartialPath?.(partial);
      try {
        sha256 = await copyAndHash(from, partial, ctx.signal, report("copying"));
      } catch (error) {
        await rm(partial, { force: true });
        throw asDiskFullError(error, this.paths.models);
      }
    }
    ctx.progress?.({ phase: "registering", fraction: 1 });
    const duplicate = findModelBySha256(this.db, sha256);
    if (duplicate !== undefined) {
      if (!params.link) {
        await rm(`${target}.partial`, { force: true });
      }
      throw alreadyThere(duplicate);
    }
    const model = this.recordFor(inspected, {
      id: sha256.slice(0, 12),
      path: target,
      linked: params.link,
      sha256,
      source,
      name: params.name,
    });
    if (!params.link) {
      await rename(`${target}.partial`, target);
      ctx.setPartialPath?.(null);
    }
    try {
      insertModel(this.db, model);
    } catch (error) {
      if (!params.link) {
        await rm(target, { force: true });
      }
      throw error;
    }
    if (this.settings.get()["library.selectedModelId"] === null) {
      this.settings.set({ "library.selectedModelId": model.id });
    }
    this.publish();
    return model;
  }

  /**
   * Registers a download whose sha256 was computed (and checked) as its bytes arrived: the file,
   * or every part of a split model, is checked as a GGUF where it lies, then renamed into place
   * and recorded in one step, so a corrupt or truncated file is never registered. Throws
   * `already_exists` (touching nothing) when the library holds the same bytes.
   */
  async registerVerified(params: {
    /** Partial file → final path, the first part first. */
    parts: ReadonlyArray<{ from: string; to: string }>;
    sha256: string;
    name?: string | undefined;
    source: Model["source"];
  }): Promise<Model> {
    const first = params.parts[0];
    if (first === undefined) {
      throw new AppError("internal", "registerVerified: no files given.");
    }
    const inspected = await inspectModelFile(
      first.from,
      params.parts.map((p) => p.from),
    );
    const duplicate = findModelBySha256(this.db, params.sha256);
    if (duplicate !== undefined) {
      throw alreadyThere(duplicate);
    }
    const model = this.recordFor(inspected, {
      id: params.sha256.slice(0, 12),
      path: first.to,
      linked: false,
      sha256: params.sha256,
      source: params.source,
      name: params.name,
    });
    const moved: string[] = [];
    try {
      for (const part of params.parts) {
        await rename(part.from, part.to);
        moved.push(part.to);
      }
      insertModel(this.db, model);
    } catch (error) {
      await Promise.all(moved.map((file) => rm(file, { force: true })));
      throw error;
    }
    if (this.settings.get()["library.selectedModelId"] === null) {
      this.settings.set({ "library.selectedModelId": model.id });
    }
    this.publish();
    return model;
  }

  rename(id: string, name: string): Model {
    this.get(id);
    renameModel(this.db, id, name);
    this.publish();
    return this.get(id);
  }

  async remove(
    id: string,
    deleteFile: boolean,
  ): Promise<{ removed: boolean; fileDeleted: boolean }> {
    const model = this.get(id);
    deleteModel(this.db, id);
    this.publish();
    let fileDeleted = false;
    // Only our own copies are deleted; a linked file or the bundled model belongs to someone else.
    if (deleteFile && !model.linked && model.source !== "bundled") {
      // A split model's other parts go with its first.
      for (const file of splitSetPaths(model.path)) {
        await rm(file, { force: true });
      }
      fileDeleted = true;
    }
    const patch: Partial<Settings> = {};
    if (model.source === "bundled") {
      patch["library.starterDismissed"] = true;
    }
    if (this.settings.get()["library.selectedModelId"] === id) {
      patch["library.selectedModelId"] = this.list()[0]?.id ?? null;
    }
    if (Object.keys(patch).length > 0) {
      this.settings.set(patch);
    }
    return { removed: true, fileDeleted };
  }

  /** On first start, the bundled starter model is in the library and selected. */
  async registerStarterModel(): Promise<Model | null> {
    if (this.settings.get()["library.starterDismissed"]) {
      return null;
    }
    const starter = findStarterModel(this.resources);
    if (starter === null) {
      return null;
    }
    const known = findModelByPath(this.db, starter);
    if (known !== undefined) {
      return known;
    }
    try {
      return await this.import({ path: starter, link: true }, {}, "bundled");
    } catch (error) {
      if (error instanceof AppError && error.code === "already_exists") {
        return null;
      }
      throw error;
    }
  }

  /**
   * What the runtime needs to load `model`, after checking the file again: a linked file may
   * have been replaced or truncated since it was imported, and llama.cpp must never see that.
   */
  async prepareLoad(model: Model, settings: Settings): Promise<LoadRequest> {
    const request = this.loadRequest(model, settings);
    await inspectModelFile(model.path);
    return request;
  }

  /** What the runtime needs to load `model` with the user's settings. */
  loadRequest(model: Model, settings: Settings): LoadRequest {
    if (!existsSync(model.path)) {
      throw new AppError(
        "not_found",
        `The file of “${model.name}” is gone: ${model.path}.`,
        model.linked
          ? "Put the file back, or remove the model and import it again."
          : "Remove the model and import it again.",
      );
    }
    const wanted = settings["runtime.contextSize"];
    return {
      model,
      // Past its training length a model's output degrades quickly; never go beyond it.
      contextSize: model.contextLength === null ? wanted : Math.min(wanted, model.contextLength),
      threads: settings["runtime.threads"],
      plainText: model.kind === "base" || !model.hasChatTemplate,
      kv: settings["runtime.kv"],
      memoryLimit: settings["runtime.memoryLimit"],
    };
  }

  private recordFor(
    inspected: InspectedModel,
    values: {
      id: string;
      path: string;
      linked: boolean;
      sha256: string;
      source: Model["source"];
      name: string | undefined;
    },
  ): Model {
    const { summary } = inspected;
    return {
      id: values.id,
      name: values.name ?? summary.name ?? path.basename(values.path).replace(/\.gguf$/i, ""),
      path: values.path,
      linked: values.linked,
      source: values.source,
      sha256: values.sha256,
      sizeBytes: inspected.file.fileSize,
      arch: summary.arch ?? "unknown",
      params: summary.params,
      contextLength: summary.contextLength,
      fileType: summary.fileType,
      bpw: summary.bpw,
      typeHistogram: summary.typeHistogram,
      kind: inspected.kind,
      hasChatTemplate: summary.hasChatTemplate,
      addedAt: this.now(),
    };
  }

  private freeModelPath(fileName: string): string {
    const ext = path.extname(fileName) || ".gguf";
    const stem = path.basename(fileName, path.extname(fileName));
    for (let i = 0; ; i++) {
      const candidate = path.join(
        this.paths.models,
        i === 0 ? `${stem}${ext}` : `${stem}-${i}${ext}`,
      );
      if (!existsSync(candidate) && !existsSync(`${candidate}.partial`)) {
        return candidate;
      }
    }
  }
}

function alreadyThere(model: Model): AppError {
  return new AppError(
    "already_exists",
    `This model is already in the library as “${model.name}” (${model.id}).`,
    "Use the existing entry, or remove it first.",
  );
}

/** The starter model shipped in resources/models (the first .gguf there). */
export function findStarterModel(resources: string): string | null {
  const folder = path.join(resources, "models");
  if (!existsSync(folder)) {
    return null;
  }
  const file = readdirSync(folder)
    .filter((name) => name.endsWith(".gguf"))
    .sort()[0];
  return file === undefined ? null : path.join(folder, file);
}
