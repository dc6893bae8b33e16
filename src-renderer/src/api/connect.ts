import { appContract, type AppContract } from "@contract";
import { ContractClient, type Transport } from "@rpc";
import { electronPortTransport } from "./electronPort";
import { webSocketPageTransport } from "./webSocket";

export type LowbitClient = ContractClient<AppContract>;

/** Where the renderer runs: the Electron window, or a browser tab served by `lowbit serve`. */
export function detectShell(): "electron" | "browser" {
  return window.lowbit?.shell === "electron" ? "electron" : "browser";
}

/**
 * Reads the access token from the address once and removes it from the address bar (and the
 * history), so it is not shared by copying the URL. The host's cookie keeps reloads working.
 */
export function takeTokenFromAddress(): string | null {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  if (token !== null) {
    url.searchParams.delete("token");
    window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
  }
  return token;
}

/** Opens the one contract client of this window over the transport the shell provides. */
export async function connect(): Promise<LowbitClient> {
  const token = takeTokenFromAddress();
  const transport: Transport =
    detectShell() === "electron"
      ? await electronPortTransport()
      : await webSocketPageTransport(token);
  return new ContractClient(appContract, transport);
}
