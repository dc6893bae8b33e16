import type { Database } from "better-sqlite3";
import {
  AppError,
  describeIssues,
  settingFields,
  settingsDefaults,
  settingsPatchSchema,
  type SettingKey,
  type Settings,
  type SettingsPatch,
} from "../../contract/index.js";
import { Signal } from "../../rpc/signal.js";
import { readSettings, writeSettings } from "../storage/queries/settings.js";

/** User settings: stored per key, read through the schema so a missing or damaged key gets its default. */
export class SettingsService {
  readonly changed: Signal<Settings>;

  constructor(private readonly db: Database) {
    this.changed = new Signal(this.read());
  }

  get(): Settings {
    return this.changed.get();
  }

  set(patch: SettingsPatch): Settings {
    const checked = settingsPatchSchema.safeParse(patch);
    if (!checked.success) {
      throw new AppError("invalid_params", describeIssues("settings.set", "patch", checked.error));
    }
    writeSettings(this.db, checked.data);
    const next = this.read();
    this.changed.set(next);
    return next;
  }

  private read(): Settings {
    const stored = readSettings(this.db);
    const result: Record<string, unknown> = { ...settingsDefaults };
    // Key by key, so one bad value falls back alone instead of resetting everything.
    for (const [key, value] of Object.entries(stored)) {
      const field = Object.hasOwn(settingFields, key)
        ? settingFields[key as SettingKey]
        : undefined;
      if (field !== undefined && field.safeParse(value).success) {
        result[key] = value;
      }
    }
    return result as Settings;
  }
}
