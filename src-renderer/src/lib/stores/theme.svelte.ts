import { STORAGE_KEYS } from "../constants";
import { readLocal, writeLocal } from "../utils/localStore";
import { settings } from "./settings.svelte";

export type ResolvedTheme = "light" | "dark";

const media = window.matchMedia("(prefers-color-scheme: dark)");

/**
 * Light or dark, from the `ui.theme` setting (system follows the OS, live). Before the settings
 * arrive, the theme of the last run is used so a reload does not flash.
 */
class ThemeStore {
  private systemDark = $state(media.matches);
  private cached = readLocal(STORAGE_KEYS.theme);

  resolved: ResolvedTheme = $derived.by(() => {
    const preference = settings.values?.["ui.theme"];
    if (preference === undefined) {
      return this.cached === "dark" || this.cached === "light"
        ? this.cached
        : this.systemDark
          ? "dark"
          : "light";
    }
    if (preference === "system") {
      return this.systemDark ? "dark" : "light";
    }
    return preference;
  });

  constructor() {
    media.addEventListener("change", (event) => {
      this.systemDark = event.matches;
    });
  }

  /** Writes the theme onto <html>; called from an effect in the app shell. */
  apply(theme: ResolvedTheme): void {
    document.documentElement.dataset.theme = theme;
    document.documentElement.style.colorScheme = theme;
    writeLocal(STORAGE_KEYS.theme, theme);
  }
}

export const theme = new ThemeStore();
