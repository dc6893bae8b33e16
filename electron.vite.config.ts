import { resolve } from "node:path";
import { svelte, vitePreprocess } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "electron-vite";

const contract = resolve(__dirname, "src-main/contract");
const rpc = resolve(__dirname, "src-main/rpc");

// Three builds: Electron main and preload (thin glue over the services) and the Svelte renderer,
// which `lowbit serve` also serves to a browser. Native modules stay external.
export default defineConfig({
  main: {
    build: {
      outDir: "out/electron/main",
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(__dirname, "src-main/electron/main.ts"),
          modelWorker: resolve(__dirname, "src-main/services/runtime/modelWorkerMain.ts"),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: "out/electron/preload",
      externalizeDeps: true,
      rollupOptions: {
        input: { index: resolve(__dirname, "src-main/electron/preload.ts") },
        // A sandboxed preload must be CommonJS.
        output: { format: "cjs", entryFileNames: "[name].cjs" },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, "src-renderer"),
    resolve: { alias: { "@contract": contract, "@rpc": rpc } },
    plugins: [svelte({ configFile: false, preprocess: vitePreprocess() })],
    build: {
      outDir: resolve(__dirname, "out/renderer"),
      emptyOutDir: true,
      minify: true,
      rollupOptions: { input: resolve(__dirname, "src-renderer/index.html") },
    },
  },
});
