import { afterAll, describe, expect, it } from "vitest";
import { openLowbit } from "../../src-main/services/lowbit.js";
import { makeTempDir } from "../helpers/tempDir.js";
import { tinyModelPath } from "../helpers/tinyModel.js";

describe("chat with a model", () => {
  const temp = makeTempDir();
  afterAll(() => temp.cleanup());

  it("streams a reply, keeps both messages in SQLite, and has them after a restart", async () => {
    const first = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: false });
    let conversationId: string;
    let streamed = "";
    try {
      first.settings.set({ "chat.maxTokens": 12, "chat.temperature": 0 });
      const model = await first.library.import({ path: await tinyModelPath(), link: true });
      conversationId = first.chat.create({}).id;
      const result = await first.chat.send(conversationId, "Tell me a story", {
        signal: new AbortController().signal,
        progress: (p) => {
          if (p.type === "token") {
            streamed += p.text;
          }
        },
      });
      expect(streamed.length).toBeGreaterThan(0);
      expect(result.assistantMessage).toMatchObject({ content: streamed, modelId: model.id });
      expect(result.assistantMessage.stats).toMatchObject({ tokens: 12, stopReason: "maxTokens" });
      expect(result.assistantMessage.stats!.decodeTps).toBeGreaterThan(0);
    } finally {
      first.close();
    }

    const second = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: false });
    try {
      const { conversation, messages } = second.chat.get(conversationId);
      expect(conversation.title).toBe("Tell me a story");
      expect(messages.map((m) => [m.role, m.content])).toEqual([
        ["user", "Tell me a story"],
        ["assistant", streamed],
      ]);
    } finally {
      second.close();
    }
  });

  it("keeps the partial reply when the user stops it", async () => {
    const app = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: false });
    try {
      app.settings.set({ "chat.maxTokens": 4000 });
      const conversationId = app.chat.create({}).id;
      const stop = new AbortController();
      let tokens = 0;
      const result = await app.chat.send(conversationId, "Go on and on", {
        signal: stop.signal,
        progress: (p) => {
          if (p.type === "token" && ++tokens === 5) {
            stop.abort();
          }
        },
      });
      expect(result.assistantMessage.stats?.stopReason).toBe("stopped");
      // Stopped well before its 4000-token budget; how many tokens slip through before the stop
      // lands depends on the machine, so only the reason and the budget are asserted.
      expect(result.assistantMessage.stats!.tokens).toBeLessThan(4000);
      expect(result.assistantMessage.content.length).toBeGreaterThan(0);
      expect(app.chat.get(conversationId).messages).toHaveLength(2);
      expect(app.runtime.state.get().status).toBe("ready");
    } finally {
      app.close();
    }
  });
});
