import path from "node:path";
import { BrowserWindow, nativeTheme } from "electron";
import { APP_ORIGIN } from "./appProtocol.js";

export function createMainWindow(preload: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 800,
    minHeight: 560,
    title: "Lowbit",
    show: false,
    backgroundColor: nativeTheme.shouldUseDarkColors ? "#16181d" : "#ffffff",
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: true,
    },
  });
  window.once("ready-to-show", () => window.show());
  const devServer = process.env.ELECTRON_RENDERER_URL;
  void (devServer !== undefined
    ? window.loadURL(devServer)
    : window.loadURL(`${APP_ORIGIN}/index.html`));
  return window;
}

export function preloadPath(mainDir: string): string {
  return path.join(mainDir, "..", "preload", "index.cjs");
}
