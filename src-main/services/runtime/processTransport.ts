import type { ChildProcess } from "node:child_process";
import { CloseNotifier, type Transport } from "../../rpc/transport.js";

/** The parent's end of a Node child process's IPC channel. */
export function childProcessTransport(child: ChildProcess): Transport {
  const closed = new CloseNotifier();
  child.on("exit", (code, signal) =>
    closed.fire(signal !== null ? `signal ${signal}` : `exit code ${code}`),
  );
  child.on("disconnect", () => closed.fire("disconnected"));
  return {
    send(message) {
      if (!child.connected) {
        throw new Error("the model process is gone");
      }
      child.send(message as object);
    },
    onMessage(listener) {
      child.on("message", (message) => listener(message));
    },
    onClose(listener) {
      closed.add(listener);
    },
    close() {
      if (child.connected) {
        child.disconnect();
      }
      closed.fire("closed");
    },
  };
}

/** Electron's utilityProcess child `process.parentPort`, or Node's `process.send`. */
interface ParentPortLike {
  postMessage(message: unknown): void;
  on(event: "message", listener: (event: { data: unknown }) => void): void;
}

/** The worker's end: talks to whichever parent started it. */
export function parentTransport(): Transport {
  const closed = new CloseNotifier();
  const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
  if (parentPort !== undefined) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on("message", (event) => listener(event.data)),
      onClose: (listener) => closed.add(listener),
      close: () => closed.fire("closed"),
    };
  }
  if (process.send === undefined) {
    throw new Error("The model worker must be started by Lowbit (no IPC channel).");
  }
  process.on("disconnect", () => closed.fire("parent went away"));
  return {
    send: (message) => {
      process.send?.(message as object);
    },
    onMessage: (listener) => process.on("message", (message) => listener(message)),
    onClose: (listener) => closed.add(listener),
    close: () => {
      process.disconnect?.();
      closed.fire("closed");
    },
  };
}
