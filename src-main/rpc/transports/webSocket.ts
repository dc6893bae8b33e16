import { CloseNotifier, type Transport } from "../transport.js";

/** The part of the WebSocket API shared by browsers and the `ws` package. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(
    type: "close",
    listener: (event: { code: number; reason: string }) => void,
  ): void;
  addEventListener(type: "error", listener: (event: unknown) => void): void;
}

const OPEN = 1;

/** JSON over an open WebSocket. Unparseable frames are passed on as-is, so the port can reject them. */
export function webSocketTransport(socket: WebSocketLike): Transport {
  const closed = new CloseNotifier();
  socket.addEventListener("close", (event) => closed.fire(event.reason || `code ${event.code}`));
  socket.addEventListener("error", () => closed.fire("socket error"));
  return {
    send(message) {
      if (socket.readyState !== OPEN) {
        throw new Error("socket is not open");
      }
      socket.send(JSON.stringify(message));
    },
    onMessage(listener) {
      socket.addEventListener("message", (event) => {
        const text = typeof event.data === "string" ? event.data : String(event.data);
        let message: unknown;
        try {
          message = JSON.parse(text);
        } catch {
          message = text;
        }
        listener(message);
      });
    },
    onClose(listener) {
      closed.add(listener);
    },
    close() {
      socket.close(1000, "closed");
      closed.fire("closed");
    },
  };
}
