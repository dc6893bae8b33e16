import type { AppErrorData } from "@contract";
import { TOAST_TIMEOUT_MS } from "../constants";
import { errorData, isCancelled } from "../utils/errors";

export interface Toast {
  id: number;
  kind: "error" | "info";
  message: string;
  hint: string | undefined;
}

/**
 * The global notification area: AppErrors (message + hint) from any store, and short notes.
 * Errors stay until dismissed so they can be read; notes disappear on their own.
 * Cancellations are not errors and are dropped here.
 */
class ToastStore {
  items = $state.raw<Toast[]>([]);
  private nextId = 1;

  error(error: unknown): void {
    if (isCancelled(error)) {
      return;
    }
    this.push("error", errorData(error));
  }

  info(message: string): void {
    const id = this.push("info", { code: "internal", message });
    window.setTimeout(() => this.dismiss(id), TOAST_TIMEOUT_MS);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((toast) => toast.id !== id);
  }

  private push(kind: Toast["kind"], data: AppErrorData): number {
    const id = this.nextId++;
    // The same error twice in a row (e.g. a retried call) shows once.
    const last = this.items.at(-1);
    if (last?.message === data.message && last.kind === kind) {
      return last.id;
    }
    this.items = [...this.items.slice(-4), { id, kind, message: data.message, hint: data.hint }];
    return id;
  }
}

export const toasts = new ToastStore();
