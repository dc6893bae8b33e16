import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { settingsDefaults } from "../../../src-main/contract/index.js";
import { SettingsService } from "../../../src-main/services/settings/settingsService.js";
import { openDatabase } from "../../../src-main/services/storage/database.js";
import { makeTempDir } from "../../helpers/tempDir.js";

describe("settings", () => {
  const temps: Array<{ cleanup(): void }> = [];
  afterEach(() => temps.splice(0).forEach((t) => t.cleanup()));
  function open() {
    const temp = makeTempDir();
    temps.push(temp);
    return path.join(temp.dir, "lowbit.db");
  }

  it("start at their defaults", () => {
    const db = openDatabase(open());
    expect(new SettingsService(db).get()).toEqual(settingsDefaults);
    db.close();
  });

  it("change only the keys a patch names, and survive a restart", () => {
    const file = open();
    const db = openDatabase(file);
    const settings = new SettingsService(db);
    settings.set({ "chat.maxTokens": 64 });
    settings.set({ "ui.theme": "dark" });
    db.close();
    const reopened = openDatabase(file);
    expect(new SettingsService(reopened).get()).toEqual({
      ...settingsDefaults,
      "chat.maxTokens": 64,
      "ui.theme": "dark",
    });
    reopened.close();
  });

  it("refuse an invalid value by name and keep the old one", () => {
    const db = openDatabase(open());
    const settings = new SettingsService(db);
    expect(() => settings.set({ "chat.temperature": -1 })).toThrow(/chat\.temperature/);
    expect(() => settings.set({ "no.such.key": 1 } as never)).toThrow(/invalid/);
    expect(settings.get()["chat.temperature"]).toBe(settingsDefaults["chat.temperature"]);
    db.close();
  });

  it("fall back per key when a stored value is damaged", () => {
    const db = openDatabase(open());
    db.prepare(
      "INSERT INTO settings (key, value) VALUES ('chat.maxTokens', '\"lots\"'), ('ui.theme', '\"dark\"')",
    ).run();
    const settings = new SettingsService(db);
    expect(settings.get()["chat.maxTokens"]).toBe(settingsDefaults["chat.maxTokens"]);
    expect(settings.get()["ui.theme"]).toBe("dark");
    db.close();
  });

  it("notify subscribers of every change", () => {
    const db = openDatabase(open());
    const settings = new SettingsService(db);
    const seen: number[] = [];
    settings.changed.subscribe((s) => seen.push(s["chat.maxTokens"]));
    settings.set({ "chat.maxTokens": 10 });
    settings.set({ "chat.maxTokens": 20 });
    expect(seen).toEqual([10, 20]);
    db.close();
  });
});
