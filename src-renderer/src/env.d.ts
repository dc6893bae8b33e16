/// <reference types="svelte" />
/// <reference types="vite/client" />

/** What the Electron preload exposes; absent in a browser tab (`lowbit serve`). */
interface LowbitBridge {
  readonly shell: "electron";
}

interface Window {
  readonly lowbit?: LowbitBridge;
}
