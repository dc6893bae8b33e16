import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrate, schemaVersion } from "../../../src-main/services/storage/database.js";
import { migrations } from "../../../src-main/services/storage/migrations/index.js";
import { getConversation } from "../../../src-main/services/storage/queries/conversations.js";

/** Migration 3 → 4: a system prompt per conversation, added to conversations that exist. */
describe("migration 0004-system-prompt", () => {
  it("keeps every conversation and message, each with an empty system prompt", () => {
    const db = new BetterSqlite3(":memory:");
    db.pragma("foreign_keys = ON");
    migrate(db, migrations, 3);
    db.prepare("INSERT INTO conversations VALUES ('c1', 'Hello', NULL, 't0', 't1')").run();
    db.prepare(
      "INSERT INTO messages VALUES ('m1', 'c1', 0, 'user', 'Hi there', NULL, NULL, 't0')",
    ).run();
    migrate(db, migrations, 4);
    expect(schemaVersion(db)).toBe(4);
    expect(getConversation(db, "c1")).toMatchObject({
      title: "Hello",
      systemPrompt: "",
      updatedAt: "t1",
      messageCount: 1,
    });
    expect(db.prepare("SELECT content FROM messages").pluck().all()).toEqual(["Hi there"]);
  });

  it("is STRICT: a system prompt must be text", () => {
    const db = new BetterSqlite3(":memory:");
    migrate(db, migrations, 4);
    db.prepare(
      "INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c', 't', 'a', 'a')",
    ).run();
    expect(() => db.prepare("UPDATE conversations SET system_prompt = NULL").run()).toThrow(
      /NOT NULL/,
    );
    expect(() => db.prepare("UPDATE conversations SET system_prompt = x'00'").run()).toThrow(
      /cannot store BLOB/,
    );
  });
});
