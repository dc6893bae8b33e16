export interface ConfirmOptions {
  title: string;
  message: string;
  confirmLabel: string;
  /** Styles the confirm button as destructive. Defaults to false. */
  danger?: boolean;
}

interface Pending extends ConfirmOptions {
  resolve(answer: boolean): void;
}

/**
 * One modal confirmation at a time (delete a chat, remove a model). `ask` resolves with the
 * user's answer; the dialog component in the app shell renders `request`.
 */
class ConfirmStore {
  request = $state.raw<Pending | null>(null);

  ask(options: ConfirmOptions): Promise<boolean> {
    this.request?.resolve(false);
    return new Promise((resolve) => {
      this.request = { ...options, resolve };
    });
  }

  answer(value: boolean): void {
    const pending = this.request;
    this.request = null;
    pending?.resolve(value);
  }
}

export const confirmer = new ConfirmStore();
