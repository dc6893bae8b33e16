import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import {
  migrate,
  openDatabase,
  schemaVersion,
} from "../../../src-main/services/storage/database.js";
import { migrations } from "../../../src-main/services/storage/migrations/index.js";
import { makeTempDir } from "../../helpers/tempDir.js";

describe("migrations", () => {
  const temps: Array<{ cleanup(): void }> = [];
  afterEach(() => temps.splice(0).forEach((t) => t.cleanup()));

  it("are numbered 1…N without gaps", () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  });

  it("bring a new database to the latest version, in WAL mode with foreign keys on", () => {
    const temp = makeTempDir();
    temps.push(temp);
    const db = openDatabase(path.join(temp.dir, "lowbit.db"));
    expect(schemaVersion(db)).toBe(migrations.length);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    db.close();
  });

  it("are idempotent: opening twice changes nothing", () => {
    const temp = makeTempDir();
    temps.push(temp);
    const file = path.join(temp.dir, "lowbit.db");
    openDatabase(file).close();
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(migrations.length);
    db.close();
  });

  it("refuse a database from a newer Lowbit instead of damaging it", () => {
    const temp = makeTempDir();
    temps.push(temp);
    const file = path.join(temp.dir, "lowbit.db");
    const raw = new BetterSqlite3(file);
    raw.pragma(`user_version = ${migrations.length + 1}`);
    raw.close();
    expect(() => openDatabase(file)).toThrow(/newer Lowbit/);
  });

  it("roll back a failing migration as a whole", () => {
    const db = new BetterSqlite3(":memory:");
    const broken = [
      ...migrations,
      {
        version: migrations.length + 1,
        name: "broken",
        up: (d: BetterSqlite3.Database) => {
          d.exec("CREATE TABLE half_done (x INTEGER) STRICT");
          d.exec("THIS IS NOT SQL");
        },
      },
    ];
    expect(() => migrate(db, broken)).toThrow();
    expect(schemaVersion(db)).toBe(migrations.length);
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get(),
    ).toBeUndefined();
    db.close();
  });
});
