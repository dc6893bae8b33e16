import { messagePortTransport, type Transport } from "@rpc";

const PORT_TIMEOUT_MS = 10_000;

/**
 * Asks the Electron preload for the MessagePort that speaks the app contract. The preload answers
 * with `window.postMessage({ type: "lowbit:port" }, origin, [port])`; only messages from this
 * window itself are accepted.
 */
export function electronPortTransport(): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const timer = window.setTimeout(() => {
      window.removeEventListener("message", onMessage);
      reject(new Error("The app window did not receive its connection port."));
    }, PORT_TIMEOUT_MS);
    function onMessage(event: MessageEvent): void {
      const data = event.data as { type?: unknown } | null;
      const port = event.ports[0];
      if (event.source !== window || data?.type !== "lowbit:port" || port === undefined) {
        return;
      }
      window.clearTimeout(timer);
      window.removeEventListener("message", onMessage);
      resolve(messagePortTransport(port));
    }
    window.addEventListener("message", onMessage);
    window.postMessage({ type: "lowbit:request-port" }, "*");
  });
}
