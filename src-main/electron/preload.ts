/**
 * The preload is a dumb pipe: it tells the page it runs in Electron and hands it one MessagePort
 * that speaks the app contract. No Node, no ipcRenderer, no logic reaches the page.
 */
import { contextBridge, ipcRenderer } from "electron";

contextBridge.exposeInMainWorld("lowbit", { shell: "electron" });

window.addEventListener("message", (event) => {
  if (
    event.source === window &&
    (event.data as { type?: unknown } | null)?.type === "lowbit:request-port"
  ) {
    ipcRenderer.send("lowbit:connect");
  }
});

ipcRenderer.on("lowbit:port", (event) => {
  window.postMessage({ type: "lowbit:port" }, window.location.origin, event.ports);
});
