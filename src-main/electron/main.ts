/**
 * The Electron main process: a window and the glue to the services, nothing more. The services
 * are the same ones `lowbit serve` and the CLI use; the model runs in a utility process.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { app, BrowserWindow, dialog } from "electron";
import { createAppHandlers } from "../services/appHandlers.js";
import { resolveHome } from "../services/config/paths.js";
import { openLowbit, type Lowbit } from "../services/lowbit.js";
import { registerAppScheme, serveRenderer } from "./appProtocol.js";
import { registerIpcBridge } from "./ipcBridge.js";
import { createMainWindow, preloadPath } from "./mainWindow.js";
import { buildMenu } from "./menu.js";
import { utilityProcessSpawner } from "./utilityWorker.js";
import { lockDownWebContents } from "./windowSecurity.js";

const mainDir = path.dirname(fileURLToPath(import.meta.url));
let lowbit: Lowbit | null = null;

registerAppScheme();
lockDownWebContents();

if (!app.requestSingleInstanceLock()) {
  app.quit();
}

app.on("second-instance", () => {
  const window = BrowserWindow.getAllWindows()[0];
  window?.restore();
  window?.focus();
});

app.whenReady().then(async () => {
  if (app.isPackaged) {
    // llama.cpp memory-maps the starter model and dlopens the addon: both come from the unpacked
    // copy (the addon finds node-llama-cpp's libraries through its $ORIGIN-relative rpath).
    const unpacked = path.join(process.resourcesPath, "app.asar.unpacked");
    process.env.LOWBIT_RESOURCES ??= path.join(unpacked, "resources");
    process.env.LOWBIT_ADDON ??= path.join(
      unpacked,
      "native",
      "addon",
      "build",
      "Release",
      "lowbit_addon.node",
    );
  }
  try {
    lowbit = await openLowbit({
      home: resolveHome(),
      shell: "electron",
      spawnWorker: utilityProcessSpawner(path.join(mainDir, "modelWorker.js")),
      pickModelFile: async () => {
        const result = await dialog.showOpenDialog({
          title: "Import a model",
          properties: ["openFile"],
          filters: [{ name: "GGUF models", extensions: ["gguf"] }],
        });
        return result.canceled ? null : (result.filePaths[0] ?? null);
      },
    });
  } catch (error) {
    dialog.showErrorBox("Lowbit could not start", (error as Error).message);
    app.quit();
    return;
  }
  serveRenderer(path.join(mainDir, "..", "..", "renderer"));
  registerIpcBridge(createAppHandlers(lowbit), (line) => console.warn(`[lowbit] ${line}`));
  buildMenu();
  createMainWindow(preloadPath(mainDir));
  app.on("activate", () => {
    if (BrowserWindow.getAllWindows().length === 0) {
      createMainWindow(preloadPath(mainDir));
    }
  });
});

app.on("window-all-closed", () => {
  if (process.platform !== "darwin") {
    app.quit();
  }
});

app.on("will-quit", () => {
  lowbit?.close();
  lowbit = null;
});
