import type { Database } from "better-sqlite3";
import type { Conversation, Message, MessageStats } from "../../../contract/index.js";

interface ConversationRow {
  id: string;
  title: string;
  model_id: string | null;
  system_prompt: string;
  created_at: string;
  updated_at: string;
  message_count: number;
}

interface MessageRow {
  id: string;
  conversation_id: string;
  role: "user" | "assistant";
  content: string;
  model_id: string | null;
  stats: string | null;
  created_at: string;
}

const selectConversation = `
  SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
  FROM conversations c`;

function conversationFromRow(row: ConversationRow): Conversation {
  return {
    id: row.id,
    title: row.title,
    modelId: row.model_id,
    systemPrompt: row.system_prompt,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    messageCount: row.message_count,
  };
}

function messageFromRow(row: MessageRow): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    role: row.role,
    content: row.content,
    modelId: row.model_id,
    stats: row.stats === null ? null : (JSON.parse(row.stats) as MessageStats),
    createdAt: row.created_at,
  };
}

export function listConversations(db: Database): Conversation[] {
  const rows = db
    .prepare(`${selectConversation} ORDER BY c.updated_at DESC`)
    .all() as ConversationRow[];
  return rows.map(conversationFromRow);
}

export function getConversation(db: Database, id: string): Conversation | undefined {
  const row = db.prepare(`${selectConversation} WHERE c.id = ?`).get(id) as
    ConversationRow | undefined;
  return row === undefined ? undefined : conversationFromRow(row);
}

export function insertConversation(
  db: Database,
  values: { id: string; title: string; modelId: string | null; systemPrompt: string; now: string },
): void {
  db.prepare(
    `INSERT INTO conversations (id, title, model_id, system_prompt, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(values.id, values.title, values.modelId, values.systemPrompt, values.now, values.now);
}

export function setSystemPrompt(db: Database, id: string, systemPrompt: string, now: string) {
  db.prepare("UPDATE conversations SET system_prompt = ?, updated_at = ? WHERE id = ?").run(
    systemPrompt,
    now,
    id,
  );
}

export function updateConversation(
  db: Database,
  id: string,
  values: { title?: string; modelId?: string | null; now: string },
): boolean {
  const current = db.prepare("SELECT title, model_id FROM conversations WHERE id = ?").get(id) as
    { title: string; model_id: string | null } | undefined;
  if (current === undefined) {
    return false;
  }
  db.prepare("UPDATE conversations SET title = ?, model_id = ?, updated_at = ? WHERE id = ?").run(
    values.title ?? current.title,
    values.modelId === undefined ? current.model_id : values.modelId,
    values.now,
    id,
  );
  return true;
}

export function deleteConversation(db: Database, id: string): boolean {
  return db.prepare("DELETE FROM conversations WHERE id = ?").run(id).changes > 0;
}

export function listMessages(db: Database, conversationId: string): Message[] {
  const rows = db
    .prepare("SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq")
    .all(conversationId) as MessageRow[];
  return rows.map(messageFromRow);
}

export function insertMessage(db: Database, message: Message): void {
  db.prepare(
    `INSERT INTO messages (id, conversation_id, seq, role, content, model_id, stats, created_at)
     VALUES (?, ?, COALESCE((SELECT MAX(seq) + 1 FROM messages WHERE conversation_id = ?), 0),
             ?, ?, ?, ?, ?)`,
  ).run(
    message.id,
    message.conversationId,
    message.conversationId,
    message.role,
    message.content,
    message.modelId,
    message.stats === null ? null : JSON.stringify(message.stats),
    message.createdAt,
  );
}

export function deleteMessage(db: Database, id: string): boolean {
  return db.prepare("DELETE FROM messages WHERE id = ?").run(id).changes > 0;
}

/** Changes a message's text (edit and resend). */
export function updateMessageContent(db: Database, id: string, content: string): boolean {
  return db.prepare("UPDATE messages SET content = ? WHERE id = ?").run(content, id).changes > 0;
}

/** Deletes the messages after `messageId` in its conversation; returns how many. */
export function deleteMessagesAfter(db: Database, conversationId: string, messageId: string) {
  return db
    .prepare(
      `DELETE FROM messages WHERE conversation_id = ?
         AND seq > (SELECT seq FROM messages WHERE id = ? AND conversation_id = ?)`,
    )
    .run(conversationId, messageId, conversationId).changes;
}

export interface ConversationMatch {
  conversationId: string;
  /** The first matching message's text, or null when only the title matched. */
  content: string | null;
  matches: number;
}

/**
 * Conversations whose title or messages contain `query` (case-insensitive for ASCII, as SQLite's
 * LIKE is), newest first, with the first matching message and the number of matching messages.
 */
export function searchConversations(db: Database, query: string, limit = 50): ConversationMatch[] {
  const pattern = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = db
    .prepare(
      `SELECT c.id AS conversation_id,
         (SELECT m.content FROM messages m WHERE m.conversation_id = c.id
            AND m.content LIKE @pattern ESCAPE '\\' ORDER BY m.seq LIMIT 1) AS content,
         (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id
            AND m.content LIKE @pattern ESCAPE '\\') AS matches,
         c.title LIKE @pattern ESCAPE '\\' AS title_match
       FROM conversations c
       WHERE title_match OR matches > 0
       ORDER BY c.updated_at DESC
       LIMIT @limit`,
    )
    .all({ pattern, limit }) as Array<{
    conversation_id: string;
    content: string | null;
    matches: number;
  }>;
  return rows.map((row) => ({
    conversationId: row.conversation_id,
    content: row.content,
    matches: row.matches,
  }));
}
