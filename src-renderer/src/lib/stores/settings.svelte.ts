import { settingsSchema, type Settings, type SettingsPatch } from "@contract";
import { settingsService } from "../services/settings";
import { errorData } from "../utils/errors";

export type SettingKey = keyof Settings;

/**
 * User settings as the server holds them (pushed by `settings.changed`). `set` validates one key
 * against the contract's schema first, so a bad value is reported next to its field and never
 * sent; server-side errors land in the same place.
 */
class SettingsStore {
  values = $state.raw<Settings | null>(null);
  /** Per-field validation or save errors, cleared by the next good value. */
  errors = $state.raw<Partial<Record<SettingKey, string>>>({});
  /** The key saved last, for a short "Saved" note. */
  savedKey = $state<SettingKey | null>(null);
  private stop: (() => void) | null = null;
  private savedTimer = 0;

  init(): void {
    this.stop?.();
    this.stop = settingsService.watch((values) => {
      this.values = values;
    });
  }

  get<K extends SettingKey>(key: K): Settings[K] | undefined {
    return this.values?.[key];
  }

  async set<K extends SettingKey>(key: K, value: Settings[K]): Promise<boolean> {
    const checked = settingsSchema.shape[key].safeParse(value);
    if (!checked.success) {
      this.setError(key, checked.error.issues[0]?.message ?? "Invalid value.");
      return false;
    }
    try {
      this.values = await settingsService.set({ [key]: checked.data } as SettingsPatch);
      this.setError(key, null);
      this.savedKey = key;
      window.clearTimeout(this.savedTimer);
      this.savedTimer = window.setTimeout(() => (this.savedKey = null), 2000);
      return true;
    } catch (error) {
      this.setError(key, errorData(error).message);
      return false;
    }
  }

  /** Marks a field invalid without sending anything (e.g. text that is not a number). */
  setError(key: SettingKey, message: string | null): void {
    const next = { ...this.errors };
    if (message === null) {
      delete next[key];
    } else {
      next[key] = message;
    }
    this.errors = next;
  }
}

export const settings = new SettingsStore();
