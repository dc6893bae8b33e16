/**
 * A bidirectional message pipe. Messages are plain data (structured-clonable / JSON-able).
 * Implementations: in-memory pairs (tests), WebSocket (host mode), MessagePort (Electron),
 * child-process IPC (model worker).
 */
export interface Transport {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the other side goes away or `close()` is called. */
  onClose(listener: (reason: string) => void): void;
  close(): void;
}

/** Helper for transports: runs close listeners once. */
export class CloseNotifier {
  private closed = false;
  private readonly listeners: Array<(reason: string) => void> = [];

  get isClosed(): boolean {
    return this.closed;
  }

  add(listener: (reason: string) => void): void {
    if (this.closed) {
      listener("closed");
      return;
    }
    this.listeners.push(listener);
  }

  fire(reason: string): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const listener of this.listeners.splice(0)) {
      listener(reason);
    }
  }
}
