import { WebSocket } from "ws";
import { appContract, type AppContract } from "../../src-main/contract/index.js";
import { startHost, type Host } from "../../src-main/host/hostServer.js";
import { ContractClient } from "../../src-main/rpc/client.js";
import { serveContract } from "../../src-main/rpc/server.js";
import type { Transport } from "../../src-main/rpc/transport.js";
import { createMemoryTransportPair } from "../../src-main/rpc/transports/memory.js";
import { webSocketTransport, type WebSocketLike } from "../../src-main/rpc/transports/webSocket.js";
import { createAppHandlers } from "../../src-main/services/appHandlers.js";
import { openLowbit, type Lowbit, type LowbitOptions } from "../../src-main/services/lowbit.js";
import { makeTempDir } from "./tempDir.js";

export type TransportKind = "memory" | "websocket";

export interface Harness {
  app: Lowbit;
  client: ContractClient<AppContract>;
  /** The raw client end, for sending messages the typed client would refuse to send. */
  raw: Transport;
  home: string;
  host: Host | null;
  close(): Promise<void>;
}

/** Real services over a temp home, reached through a real transport. */
export async function openHarness(
  kind: TransportKind,
  options: Partial<LowbitOptions> = {},
): Promise<Harness> {
  const temp = makeTempDir();
  const app = await openLowbit({
    home: temp.dir,
    shell: "test",
    registerStarterModel: false,
    ...options,
  });
  let raw: Transport;
  let host: Host | null = null;
  let closeServer = (): void => undefined;
  if (kind === "memory") {
    const [clientEnd, serverEnd] = createMemoryTransportPair();
    const connection = serveContract(appContract, createAppHandlers(app), serverEnd);
    closeServer = () => connection.close();
    raw = clientEnd;
  } else {
    host = await startHost({ app, rendererDir: temp.dir });
    raw = await connectWebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
  }
  const client = new ContractClient(appContract, raw);
  return {
    app,
    client,
    raw,
    home: temp.dir,
    host,
    close: async () => {
      client.close();
      closeServer();
      await host?.close();
      app.close();
      temp.cleanup();
    },
  };
}

export async function connectWebSocket(
  url: string,
  headers: Record<string, string> = {},
): Promise<Transport> {
  const socket = new WebSocket(url, { headers });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    );
  });
  return webSocketTransport(socket as unknown as WebSocketLike);
}

/** Sends one raw message and resolves with the first reply the server sends back. */
export function rawExchange(transport: Transport, message: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    transport.onMessage((reply) => resolve(reply));
    transport.send(message);
  });
}
