import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLowbit, type Lowbit } from "../../../src-main/services/lowbit.js";
import { insertMessage } from "../../../src-main/services/storage/queries/conversations.js";
import { makeTempDir } from "../../helpers/tempDir.js";
import { tinyModelPath } from "../../helpers/tinyModel.js";

/** Conversation features that need no model: system prompts, search, export. */
describe("conversation features", () => {
  const temp = makeTempDir();
  let app: Lowbit;

  beforeAll(async () => {
    app = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: false });
  });
  afterAll(() => {
    app.close();
    temp.cleanup();
  });

  function addMessage(conversationId: string, role: "user" | "assistant", content: string) {
    insertMessage(app.db, {
      id: `${conversationId}-${content.length}-${role}`,
      conversationId,
      role,
      content,
      createdAt: "2026-11-29T00:00:00.000Z",
      modelId: null,
      stats:
        role === "assistant"
          ? {
              promptTokens: 5,
              tokens: 12,
              promptTps: 100,
              decodeTps: 42.5,
              stopReason: "eos",
              kv: "q8_0/q8_0",
            }
          : null,
    });
  }

  it("new conversations take the default system prompt from the settings; each can change its own", () => {
    app.settings.set({ "chat.systemPrompt": "You are a terse assistant." });
    const first = app.chat.create({});
    expect(first.systemPrompt).toBe("You are a terse assistant.");
    const own = app.chat.create({ systemPrompt: "" });
    expect(own.systemPrompt).toBe("");
    expect(app.chat.setSystemPrompt(own.id, "Answer in French.").systemPrompt).toBe(
      "Answer in French.",
    );
    expect(app.chat.input(own.id)).toEqual({ system: "Answer in French.", turns: [] });
    expect(app.chat.input(app.chat.setSystemPrompt(own.id, "").id).system).toBeNull();
  });

  it("search finds titles and message text, case-insensitively, with an excerpt", () => {
    const lighthouse = app.chat.create({ title: "Lighthouse diary" });
    addMessage(lighthouse.id, "user", "The lamp needed oil before the evening boat passed.");
    const garden = app.chat.create({ title: "Garden" });
    addMessage(garden.id, "user", "Tomatoes like sun.");
    addMessage(garden.id, "assistant", "They also need OIL-free soil and a stake; tomatoes climb.");

    const oil = app.chat.search("oil");
    expect(oil.map((h) => h.conversation.title).sort()).toEqual(["Garden", "Lighthouse diary"]);
    expect(oil.find((h) => h.conversation.id === lighthouse.id)?.snippet).toContain("needed oil");
    expect(app.chat.search("tomatoes")[0]).toMatchObject({ matches: 2 });
    expect(app.chat.search("lighthouse")[0]).toMatchObject({ snippet: "title", matches: 0 });
    expect(app.chat.search("100%")).toEqual([]);
    expect(app.chat.search("nothing like this")).toEqual([]);
  });

  it("exports a conversation as Markdown and as JSON", () => {
    const chat = app.chat.create({ title: "Plans: spring/summer", systemPrompt: "Be brief." });
    addMessage(chat.id, "user", "What should I plant?");
    addMessage(chat.id, "assistant", "Beans, then squash.");

    const md = app.chat.export(chat.id, "markdown");
    expect(md.fileName).toBe("Plans spring summer.md");
    expect(md.mimeType).toBe("text/markdown");
    expect(md.content).toMatch(/^# Plans: spring\/summer\n/);
    expect(md.content).toContain("## System prompt\n\nBe brief.");
    expect(md.content).toContain("## You\n\nWhat should I plant?");
    expect(md.content).toContain("## Assistant\n\nBeans, then squash.");
    expect(md.content).toContain("12 tokens at 42.5 tok/s, KV q8_0/q8_0");

    const json = app.chat.export(chat.id, "json");
    expect(json.fileName).toBe("Plans spring summer.json");
    const doc = JSON.parse(json.content);
    expect(doc).toMatchObject({
      format: "lowbit.conversation",
      version: 1,
      conversation: { title: "Plans: spring/summer", systemPrompt: "Be brief." },
    });
    expect(doc.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual(
      [
        ["user", "What should I plant?"],
        ["assistant", "Beans, then squash."],
      ],
    );
  });

  it("edit refuses to touch an assistant message or one from another conversation", async () => {
    const chat = app.chat.create({});
    addMessage(chat.id, "user", "Hello");
    addMessage(chat.id, "assistant", "Hi!");
    const [, reply] = app.chat.get(chat.id).messages;
    const ctx = { signal: new AbortController().signal, progress: () => {} };
    // No model in this library yet: the model check comes first and says so.
    await expect(app.chat.edit(chat.id, reply!.id, "x", ctx)).rejects.toMatchObject({
      code: "no_model_loaded",
    });
    await app.library.import({ path: await tinyModelPath(), link: true });
    await expect(app.chat.edit(chat.id, reply!.id, "x", ctx)).rejects.toMatchObject({
      code: "invalid_params",
      message: "Only your own messages can be edited.",
    });
    await expect(app.chat.edit(chat.id, "elsewhere", "x", ctx)).rejects.toMatchObject({
      code: "not_found",
    });
    expect(app.chat.get(chat.id).messages.map((m) => m.content)).toEqual(["Hello", "Hi!"]);
  });
});
