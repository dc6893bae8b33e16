import type { Conversation, Message } from "../../contract/index.js";

export interface ExportedConversation {
  fileName: string;
  mimeType: string;
  content: string;
}

/** A conversation as a document: Markdown to read and share, JSON to keep or import elsewhere. */
export function exportConversation(
  conversation: Conversation,
  messages: readonly Message[],
  format: "markdown" | "json",
  modelNames: ReadonlyMap<string, string>,
): ExportedConversation {
  const base = fileSafe(conversation.title) || "conversation";
  if (format === "json") {
    const document = {
      format: "lowbit.conversation",
      version: 1,
      exportedAt: new Date().toISOString(),
      conversation: {
        id: conversation.id,
        title: conversation.title,
        systemPrompt: conversation.systemPrompt,
        createdAt: conversation.createdAt,
        updatedAt: conversation.updatedAt,
      },
      messages: messages.map((m) => ({
        role: m.role,
        content: m.content,
        createdAt: m.createdAt,
        model: m.modelId === null ? null : (modelNames.get(m.modelId) ?? m.modelId),
        stats: m.stats,
      })),
    };
    return {
      fileName: `${base}.json`,
      mimeType: "application/json",
      content: `${JSON.stringify(document, null, 2)}\n`,
    };
  }
  const lines = [`# ${conversation.title}`, ""];
  lines.push(`_Exported from Lowbit on ${new Date().toISOString().slice(0, 10)}._`, "");
  if (conversation.systemPrompt !== "") {
    lines.push("## System prompt", "", conversation.systemPrompt, "");
  }
  for (const message of messages) {
    const model = message.modelId === null ? null : (modelNames.get(message.modelId) ?? null);
    const who =
      message.role === "user" ? "You" : model === null ? "Assistant" : `Assistant (${model})`;
    lines.push(`## ${who}`, "", message.content, "");
    const stats = message.stats;
    if (stats !== null) {
      lines.push(
        `<sub>${stats.tokens} tokens at ${stats.decodeTps.toFixed(1)} tok/s` +
          (stats.kv === undefined ? "" : `, KV ${stats.kv}`) +
          `</sub>`,
        "",
      );
    }
  }
  return {
    fileName: `${base}.md`,
    mimeType: "text/markdown",
    content: `${lines.join("\n").trimEnd()}\n`,
  };
}

function fileSafe(title: string): string {
  return (
    title
      // Characters no file system accepts in a name, and control characters.
      .replace(/[\\/:*?"<>|]/g, " ")
      .replace(/\p{Cc}/gu, " ")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, 80)
  );
}
