import type { Settings, SettingsPatch } from "@contract";
import { client } from "../../api";

/** User settings (dotted keys with defaults), stored on the server. */
export const settingsService = {
  /** Calls `listener` now and on every change; returns unsubscribe. */
  watch(listener: (settings: Settings) => void): () => void {
    return client().subscribe("settings.changed", {}, listener);
  },
  set(patch: SettingsPatch): Promise<Settings> {
    return client().call("settings.set", { patch });
  },
};
