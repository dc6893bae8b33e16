/**
 * Small UI preferences kept in this window's localStorage (never conversations or settings,
 * which live on the server). Storage can be unavailable or full: reads fall back, writes no-op.
 */
export function readLocal(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function writeLocal(key: string, value: string | null): void {
  try {
    if (value === null) {
      window.localStorage.removeItem(key);
    } else {
      window.localStorage.setItem(key, value);
    }
  } catch {
    // Private mode or quota: the preference is simply not remembered.
  }
}
