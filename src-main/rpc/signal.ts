/** A value that can be read now and watched for changes; the server side of a signal endpoint. */
export interface SignalSource<T> {
  get(): T;
  subscribe(listener: (value: T) => void): () => void;
}

export class Signal<T> implements SignalSource<T> {
  private value: T;
  private readonly listeners = new Set<(value: T) => void>();

  constructor(initial: T) {
    this.value = initial;
  }

  get(): T {
    return this.value;
  }

  set(value: T): void {
    this.value = value;
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch {
        // A broken subscriber must not stop the others or the producer.
      }
    }
  }

  update(change: (value: T) => T): void {
    this.set(change(this.value));
  }

  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
