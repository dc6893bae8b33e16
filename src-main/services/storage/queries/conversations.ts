import type { Database } from "better-sqlite3";
import type { Conversation, Message, MessageStats } from "../../../contract/index.js";

interface ConversationRow {
  id: string;
  title: string;
  model_id: string | null;
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
  values: { id: string; title: string; modelId: string | null; now: string },
): void {
  db.prepare(
    "INSERT INTO conversations (id, title, model_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
  ).run(values.id, values.title, values.modelId, values.now, values.now);
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
