import type { AppErrorData, Model } from "@contract";
import { modelsService, type ImportProgress } from "../services/models";
import { errorData, isCancelled } from "../utils/errors";
import { settings } from "./settings.svelte";
import { toasts } from "./toasts.svelte";

export interface ImportState {
  path: string;
  progress: ImportProgress | null;
  controller: AbortController;
}

/**
 * The model library. The list follows the server's `models.changed` signal, so imports from the
 * CLI or another window appear too; the selected model comes from the `library.selectedModelId`
 * setting, which the server also changes (first start, removing the selected model).
 */
class LibraryStore {
  models = $state.raw<Model[]>([]);
  loaded = $state(false);
  importing = $state.raw<ImportState | null>(null);
  /** The last import's failure, shown inline in the import form until the next attempt. */
  importError = $state.raw<AppErrorData | null>(null);
  /** What is typed in the import form, kept while the user visits other views. */
  importPath = $state("");

  selectedId: string | null = $derived(settings.values?.["library.selectedModelId"] ?? null);
  selected: Model | null = $derived(this.models.find((m) => m.id === this.selectedId) ?? null);

  private stopWatching: (() => void) | null = null;

  /** Starts following the library; safe to call again. */
  init(): void {
    this.stopWatching ??= modelsService.watch((models) => {
      this.models = models;
      this.loaded = true;
    });
  }

  async refresh(): Promise<void> {
    try {
      this.models = await modelsService.list();
      this.loaded = true;
    } catch (error) {
      toasts.error(error);
    }
  }

  byId(id: string | null): Model | null {
    return id === null ? null : (this.models.find((m) => m.id === id) ?? null);
  }

  async select(id: string): Promise<void> {
    const ok = await settings.set("library.selectedModelId", id);
    if (!ok) {
      toasts.error(new Error(settings.errors["library.selectedModelId"] ?? "Could not select it."));
    }
  }

  async rename(id: string, name: string): Promise<boolean> {
    try {
      const model = await modelsService.rename(id, name);
      this.models = this.models.map((m) => (m.id === id ? model : m));
      return true;
    } catch (error) {
      toasts.error(error);
      return false;
    }
  }

  async remove(id: string): Promise<void> {
    const model = this.byId(id);
    try {
      const result = await modelsService.remove(id);
      if (result.removed && model !== null) {
        toasts.info(
          result.fileDeleted
            ? `Removed “${model.name}” and deleted its file.`
            : `Removed “${model.name}”; its file was kept.`,
        );
      }
    } catch (error) {
      toasts.error(error);
    }
    await this.refresh();
  }

  /** Imports a .gguf by path; resolves to the new model, or null on failure or cancel. */
  async import(path: string, link: boolean): Promise<Model | null> {
    if (this.importing !== null) {
      return null;
    }
    const state: ImportState = { path, progress: null, controller: new AbortController() };
    this.importing = state;
    this.importError = null;
    try {
      const model = await modelsService.import(
        { path, link },
        (progress) => {
          if (this.importing === state) {
            this.importing = { ...state, progress };
          }
        },
        state.controller.signal,
      );
      toasts.info(`Added “${model.name}” to the library.`);
      return model;
    } catch (error) {
      if (!isCancelled(error)) {
        this.importError = errorData(error);
      }
      return null;
    } finally {
      this.importing = null;
      await this.refresh();
    }
  }

  cancelImport(): void {
    this.importing?.controller.abort();
  }

  clearImportError(): void {
    this.importError = null;
  }

  setImportPath(path: string): void {
    this.importPath = path;
    this.importError = null;
  }
}

export const library = new LibraryStore();
