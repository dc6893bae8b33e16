import { detectShell } from "../api";

const isMac = /Mac|iPhone|iPad/.test(navigator.platform);

/** The modifier as the platform writes it. */
export const modKey = isMac ? "⌘" : "Ctrl";

/**
 * New chat: Ctrl/Cmd+N. In a browser tab that key belongs to the browser (it opens a window and
 * a page cannot prevent it), so Ctrl/Cmd+Shift+O works too, and the tab shows that one.
 */
export const newChatKeys: string[] =
  detectShell() === "electron" ? [modKey, "N"] : [modKey, "Shift", "O"];

export const newChatAriaKeys = "Control+N Meta+N Control+Shift+O Meta+Shift+O";

export function isNewChatKey(event: KeyboardEvent): boolean {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) {
    return false;
  }
  const key = event.key.toLowerCase();
  return (key === "n" && !event.shiftKey) || (key === "o" && event.shiftKey);
}
