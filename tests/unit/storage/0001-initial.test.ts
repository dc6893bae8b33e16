import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrate, schemaVersion } from "../../../src-main/services/storage/database.js";
import { migrations } from "../../../src-main/services/storage/migrations/index.js";

/** Migration 0 → 1: the initial schema, checked with rows in it. */
describe("migration 0001-initial", () => {
  function migrated() {
    const db = new BetterSqlite3(":memory:");
    db.pragma("foreign_keys = ON");
    migrate(db, migrations, 1);
    return db;
  }

  it("creates the tables the app needs", () => {
    const db = migrated();
    expect(schemaVersion(db)).toBe(1);
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(
      expect.arrayContaining(["conversations", "jobs", "messages", "models", "settings"]),
    );
  });

  it("holds a conversation with ordered messages and deletes them with it", () => {
    const db = migrated();
    db.prepare("INSERT INTO conversations VALUES ('c1', 'Hello', NULL, 't0', 't0')").run();
    const insert = db.prepare(
      "INSERT INTO messages (id, conversation_id, seq, role, content, model_id, stats, created_at) VALUES (?, 'c1', ?, ?, ?, NULL, NULL, 't')",
    );
    insert.run("m1", 0, "user", "hi");
    insert.run("m2", 1, "assistant", "hello");
    expect(() => insert.run("m3", 1, "user", "duplicate position")).toThrow(/UNIQUE/);
    expect(() => insert.run("m4", 2, "system", "unknown role")).toThrow(/CHECK/);
    db.prepare("DELETE FROM conversations WHERE id = 'c1'").run();
    expect(db.prepare("SELECT COUNT(*) FROM messages").pluck().get()).toBe(0);
  });

  it("is STRICT: a wrongly typed value is refused, not coerced", () => {
    const db = migrated();
    expect(() =>
      db
        .prepare(
          "INSERT INTO models (id, name, path, linked, source, sha256, size_bytes, arch, params, bpw, type_histogram, kind, has_chat_template, added_at) VALUES ('a', 'n', '/p', 0, 'imported', 's', 'big', 'llama', 1, 1.0, '{}', 'base', 0, 't')",
        )
        .run(),
    ).toThrow(/cannot store TEXT value in INTEGER column/);
  });

  it("forgets a deleted model in its conversations without deleting them", () => {
    const db = migrated();
    db.prepare(
      "INSERT INTO models (id, name, path, linked, source, sha256, size_bytes, arch, params, bpw, type_histogram, kind, has_chat_template, added_at) VALUES ('m', 'n', '/p', 0, 'imported', 's', 1, 'llama', 1, 16.0, '{}', 'base', 0, 't')",
    ).run();
    db.prepare("INSERT INTO conversations VALUES ('c1', 'Hello', 'm', 't0', 't0')").run();
    db.prepare("DELETE FROM models WHERE id = 'm'").run();
    expect(
      db.prepare("SELECT model_id FROM conversations WHERE id = 'c1'").pluck().get(),
    ).toBeNull();
  });
});
