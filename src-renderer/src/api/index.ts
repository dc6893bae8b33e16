import type { LowbitClient } from "./connect";

export { connect, detectShell, type LowbitClient } from "./connect";

let current: LowbitClient | null = null;

/** Installs the window's one client; called once by the bootstrap after `connect()`. */
export function setClient(client: LowbitClient): void {
  current = client;
}

/** The connected client. Services use it; components never do. */
export function client(): LowbitClient {
  if (current === null) {
    throw new Error("Lowbit is not connected yet.");
  }
  return current;
}
