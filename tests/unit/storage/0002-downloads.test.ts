import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrate, schemaVersion } from "../../../src-main/services/storage/database.js";
import { migrations } from "../../../src-main/services/storage/migrations/index.js";

const insertModel = `INSERT INTO models (id, name, path, linked, source, sha256, size_bytes, arch,
  params, bpw, type_histogram, kind, has_chat_template, added_at)
  VALUES ('m1', 'Tiny', '/models/tiny.gguf', 0, 'imported', 'abc', 10, 'llama', 1, 16.0, '{}',
  'base', 0, 't0')`;

/** Migration 1 → 2: the downloads tables, added to a database that already holds a library. */
describe("migration 0002-downloads", () => {
  function atVersion1() {
    const db = new BetterSqlite3(":memory:");
    db.pragma("foreign_keys = ON");
    migrate(db, migrations, 1);
    db.prepare(insertModel).run();
    db.prepare("INSERT INTO conversations VALUES ('c1', 'Hello', 'm1', 't0', 't0')").run();
    db.prepare("INSERT INTO settings VALUES ('chat.temperature', '0.2')").run();
    return db;
  }

  function insertDownload(db: BetterSqlite3.Database, id: string, state = "running") {
    db.prepare(
      `INSERT INTO downloads (id, source, title, name, state, position, model_id, error,
         created_at, updated_at) VALUES (?, 'https://x/a.gguf', 'a.gguf', NULL, ?, 1, NULL, NULL,
         't0', 't0')`,
    ).run(id, state);
    db.prepare(
      `INSERT INTO download_files (download_id, part, url, file_name, partial_path, size_bytes,
         expected_sha256, etag, received_bytes) VALUES (?, 0, 'https://x/a.gguf', 'a.gguf', ?,
         100, NULL, '"e1"', 40)`,
    ).run(id, `/models/${id}.partial`);
  }

  it("keeps every row of version 1 and adds the tables", () => {
    const db = atVersion1();
    migrate(db, migrations, 2);
    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare("SELECT name FROM models").pluck().all()).toEqual(["Tiny"]);
    expect(db.prepare("SELECT model_id FROM conversations").pluck().all()).toEqual(["m1"]);
    expect(db.prepare("SELECT value FROM settings").pluck().all()).toEqual(["0.2"]);
    insertDownload(db, "d1");
    expect(db.prepare("SELECT received_bytes, complete FROM download_files").get()).toEqual({
      received_bytes: 40,
      complete: 0,
    });
  });

  it("refuses unknown states and negative byte counts, and is STRICT", () => {
    const db = atVersion1();
    migrate(db, migrations, 2);
    expect(() => insertDownload(db, "d1", "downloading")).toThrow(/CHECK/);
    insertDownload(db, "d2");
    expect(() =>
      db.prepare("UPDATE download_files SET received_bytes = -1 WHERE download_id = 'd2'").run(),
    ).toThrow(/CHECK/);
    expect(() =>
      db.prepare("UPDATE download_files SET size_bytes = 'big' WHERE download_id = 'd2'").run(),
    ).toThrow(/cannot store TEXT value in INTEGER column/);
  });

  it("deletes a download's files with it, and forgets a removed model", () => {
    const db = atVersion1();
    migrate(db, migrations, 2);
    insertDownload(db, "d1");
    db.prepare("UPDATE downloads SET state = 'done', model_id = 'm1' WHERE id = 'd1'").run();
    db.prepare("DELETE FROM models WHERE id = 'm1'").run();
    expect(db.prepare("SELECT model_id FROM downloads").pluck().get()).toBeNull();
    db.prepare("DELETE FROM downloads WHERE id = 'd1'").run();
    expect(db.prepare("SELECT COUNT(*) FROM download_files").pluck().get()).toBe(0);
  });

  it("gives each partial file to one download only", () => {
    const db = atVersion1();
    migrate(db, migrations, 2);
    insertDownload(db, "d1");
    db.prepare(
      `INSERT INTO downloads (id, source, title, state, position, created_at, updated_at)
       VALUES ('d2', 's', 't', 'queued', 2, 't', 't')`,
    ).run();
    expect(() =>
      db
        .prepare(
          `INSERT INTO download_files (download_id, part, url, file_name, partial_path)
           VALUES ('d2', 0, 'u', 'a.gguf', '/models/d1.partial')`,
        )
        .run(),
    ).toThrow(/UNIQUE/);
  });
});
