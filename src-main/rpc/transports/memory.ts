import { CloseNotifier, type Transport } from "../transport.js";

/**
 * Two connected in-memory transports. Messages are deep-copied and delivered asynchronously,
 * as a real boundary would, so tests catch shared-object and ordering mistakes.
 */
export function createMemoryTransportPair(): [Transport, Transport] {
  const make = () => ({ listeners: [] as Array<(m: unknown) => void>, close: new CloseNotifier() });
  const a = make();
  const b = make();
  const side = (self: typeof a, other: typeof a): Transport => ({
    send(message) {
      if (self.close.isClosed) {
        throw new Error("transport closed");
      }
      const copy = structuredClone(message);
      queueMicrotask(() => {
        if (!other.close.isClosed) {
          for (const listener of other.listeners) {
            listener(copy);
          }
        }
      });
    },
    onMessage(listener) {
      self.listeners.push(listener);
    },
    onClose(listener) {
      self.close.add(listener);
    },
    close() {
      queueMicrotask(() => {
        self.close.fire("closed");
        other.close.fire("peer closed");
      });
    },
  });
  return [side(a, b), side(b, a)];
}
