import { webSocketTransport, type Transport } from "@rpc";

/**
 * Opens the host's contract socket (`lowbit serve`) on the page's own origin. The HttpOnly cookie
 * set with the page authenticates it; a token from the page address is passed on as well.
 */
export function webSocketPageTransport(token: string | null): Promise<Transport> {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const query = token === null ? "" : `?token=${encodeURIComponent(token)}`;
  const socket = new WebSocket(`${scheme}://${window.location.host}/ws${query}`);
  return new Promise((resolve, reject) => {
    const fail = (): void => {
      socket.removeEventListener("open", open);
      reject(new Error("Lowbit refused the connection or is not running."));
    };
    const open = (): void => {
      socket.removeEventListener("close", fail);
      resolve(webSocketTransport(socket));
    };
    socket.addEventListener("open", open, { once: true });
    socket.addEventListener("close", fail, { once: true });
  });
}
