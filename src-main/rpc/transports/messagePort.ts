import { CloseNotifier, type Transport } from "../transport.js";

/** A DOM-style MessagePort (the renderer's end of the Electron channel). */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  start(): void;
  close(): void;
}

export function messagePortTransport(port: MessagePortLike): Transport {
  const closed = new CloseNotifier();
  return {
    send(message) {
      port.postMessage(message);
    },
    onMessage(listener) {
      port.addEventListener("message", (event) => listener(event.data));
      port.start();
    },
    onClose(listener) {
      closed.add(listener);
    },
    close() {
      port.close();
      closed.fire("closed");
    },
  };
}
