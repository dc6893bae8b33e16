import { ipcMain, MessageChannelMain, type IpcMainEvent, type MessagePortMain } from "electron";
import { appContract } from "../contract/index.js";
import { serveContract } from "../rpc/server.js";
import { CloseNotifier, type Transport } from "../rpc/transport.js";
import type { Handlers } from "../rpc/server.js";
import type { AppContract } from "../contract/index.js";
import { APP_ORIGIN } from "./appProtocol.js";

/**
 * Hands each window a MessagePort that speaks the app contract. Only our own top-level frame,
 * loaded from our own protocol, may ask; anything else is refused and logged.
 */
export function registerIpcBridge(
  handlers: Handlers<AppContract>,
  log: (line: string) => void,
): void {
  ipcMain.on("lowbit:connect", (event: IpcMainEvent) => {
    const frame = event.senderFrame;
    const trusted =
      frame !== null &&
      frame === event.sender.mainFrame &&
      new URL(frame.url).origin === APP_ORIGIN;
    if (!trusted) {
      log(`refused an IPC connection from ${frame?.url ?? "a destroyed frame"}`);
      return;
    }
    const { port1, port2 } = new MessageChannelMain();
    const connection = serveContract(appContract, handlers, portTransport(port1), {
      onWarning: (warning) => log(`contract: ${warning.code}: ${warning.message}`),
    });
    event.sender.once("destroyed", () => connection.close());
    event.sender.postMessage("lowbit:port", null, [port2]);
  });
}

function portTransport(port: MessagePortMain): Transport {
  const closed = new CloseNotifier();
  port.on("close", () => closed.fire("window closed"));
  return {
    send: (message) => port.postMessage(message),
    onMessage: (listener) => {
      port.on("message", (event) => listener(event.data));
      port.start();
    },
    onClose: (listener) => closed.add(listener),
    close: () => {
      port.close();
      closed.fire("closed");
    },
  };
}
