import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KvSettings, Message } from "../../src-main/contract/index.js";
import type { GenerationContext } from "../../src-main/services/chat/chatService.js";
import { openLowbit, type Lowbit } from "../../src-main/services/lowbit.js";
import { makeTempDir } from "../helpers/tempDir.js";

/**
 * A live KV change converts the conversation's cache instead of reading the chat again, on the
 * bundled starter model (head size 64: quantized caches are stored Hadamard-rotated). The chat
 * goes on reading only its new message, eviction keeps working, and when the conversion fails
 * the conversation is read again with nothing lost.
 */
const quiet: GenerationContext = { signal: new AbortController().signal, progress: () => {} };

async function openApp(home: string, contextSize: number): Promise<Lowbit> {
  const app = await openLowbit({ home, shell: "test", registerStarterModel: true });
  app.settings.set({
    "chat.maxTokens": 32,
    "chat.temperature": 0,
    "runtime.contextSize": contextSize,
  });
  return app;
}

function kvOf(
  app: Lowbit,
  k: KvSettings["k"],
  v: KvSettings["v"],
  fa: KvSettings["flashAttention"],
) {
  return { ...app.settings.get()["runtime.kv"], k, v, flashAttention: fa };
}

describe("live KV change by conversion", () => {
  const temp = makeTempDir();
  let app: Lowbit;

  beforeAll(async () => {
    app = await openApp(temp.dir, 512);
  });
  afterAll(() => {
    app.close();
    temp.cleanup();
  });

  it("converts through types and flash attention on and off, and the chat reads only its new message", async () => {
    const conversation = app.chat.create({ systemPrompt: "A story about a farm in the hills." });
    await app.chat.send(conversation.id, "The old house on the hill was quiet", quiet);
    await app.chat.send(conversation.id, "Then the farmer came home", quiet);
    const messages = (): Message[] => app.chat.get(conversation.id).messages;
    const before = messages();

    const steps: Array<[KvSettings["k"], KvSettings["v"], KvSettings["flashAttention"]]> = [
      ["q8_0", "q8_0", "auto"],
      ["q4_0", "q4_0", "on"],
      ["q8_0", "f16", "off"], // V transposed from here
      ["q5_1", "f16", "off"],
      ["f16", "f16", "on"], // and back
      ["iq4_nl", "q5_0", "auto"],
    ];
    for (const [k, v, fa] of steps) {
      const phases: string[] = [];
      const result = await app.kv.apply(
        { conversationId: conversation.id, contextSize: 512, kv: kvOf(app, k, v, fa) },
        { onProgress: (p) => phases.push(p.phase) },
      );
      const label = `${k}/${v} fa ${fa}`;
      expect(result.method, `${label}: ${result.methodReason}`).toBe("converted");
      expect(phases, label).toContain("converting");
      expect(result.after, label).toMatchObject({ k, v, flashAttention: fa !== "off" });
      expect(result.probe, label).toMatchObject({ positions: 32, degraded: false });
      expect(result.probe!.topAgreement, label).toBeGreaterThanOrEqual(0.9);
      expect(messages(), label).toEqual(before);
      expect(app.runtime.memory.get()!.kv.usedTokens, label).toBe(result.conversation!.tokens);
    }

    const next = await app.chat.send(conversation.id, "And the dog barked", quiet);
    expect(next.assistantMessage.stats).toMatchObject({ kv: "iq4_nl/q5_0" });
    expect(next.assistantMessage.stats!.cachedTokens).toBeGreaterThanOrEqual(
      before.length > 0 ? next.assistantMessage.stats!.promptTokens - 16 : 0,
    );
    expect(next.assistantMessage.stats!.promptTokens).toBeLessThan(16);
    expect(messages()).toHaveLength(6);
  });

  it("re-reads, saying why, when the context size changes", async () => {
    const conversation = app.chat.create({});
    await app.chat.send(conversation.id, "The old house on the hill was quiet", quiet);
    const result = await app.kv.apply({
      conversationId: conversation.id,
      contextSize: 384,
      kv: kvOf(app, "q8_0", "q8_0", "auto"),
    });
    expect(result.method).toBe("reread");
    expect(result.methodReason).toMatch(/context size changed/);
    expect(result.probe).toMatchObject({ degraded: false });
  });

  it("eviction (sinks + window) keeps working after a converted change", async () => {
    const evict = { policy: "window" as const, sinks: 4, window: 128 };
    app.settings.set({
      "chat.maxTokens": 48,
      "runtime.contextSize": 256,
      "runtime.kv": { ...app.settings.get()["runtime.kv"], k: "f16", v: "f16", evict },
    });
    const system = "These are the notes of a ship's cook.";
    const conversation = app.chat.create({ systemPrompt: system });
    const day = (n: number) =>
      `Day ${n}: we cooked beans and bread for the whole crew again, and the sea was rough.`;
    await app.kv.apply({
      conversationId: conversation.id,
      contextSize: 256,
      kv: { ...kvOf(app, "f16", "f16", "auto"), evict },
    });
    for (let turn = 1; turn <= 5; turn++) {
      await app.chat.send(conversation.id, day(turn), quiet);
    }
    const evictedBefore = app.chat.get(conversation.id).messages.at(-1)!.stats!.evictedTokens;
    expect(evictedBefore).toBeGreaterThan(0);

    const result = await app.kv.apply({
      conversationId: conversation.id,
      contextSize: 256,
      kv: { ...kvOf(app, "q8_0", "q8_0", "auto"), evict },
    });
    expect(result.method, result.methodReason ?? "").toBe("converted");
    for (let turn = 6; turn <= 8; turn++) {
      const { assistantMessage } = await app.chat.send(conversation.id, day(turn), quiet);
      // The converted cache, with its record of what was evicted, is reused: only the new
      // message is read, and eviction goes on.
      expect(assistantMessage.stats!.promptTokens).toBeLessThan(40);
      expect(assistantMessage.stats!.cachedTokens).toBeGreaterThan(80);
      expect(assistantMessage.stats!.kv).toBe("q8_0/q8_0");
    }
    const cache = await app.runtime.inspect();
    expect(cache.cachedTokens).toBeLessThan(256);
    expect(cache.headText).toContain(system);
    expect(app.chat.get(conversation.id).messages.at(-1)!.stats!.evictedTokens).toBeGreaterThan(
      evictedBefore ?? 0,
    );
    expect(app.chat.get(conversation.id).messages).toHaveLength(16);
  });
});

describe("live KV change when the conversion fails", () => {
  const temp = makeTempDir();
  let app: Lowbit;

  beforeAll(async () => {
    // The model process truncates the converted file, so llama.cpp's loader refuses it.
    process.env.LOWBIT_KV_CONVERT = "corrupt";
    app = await openApp(temp.dir, 512);
  });
  afterAll(() => {
    delete process.env.LOWBIT_KV_CONVERT;
    app.close();
    temp.cleanup();
  });

  it("reads the conversation again, loses no message, and the chat goes on", async () => {
    const conversation = app.chat.create({ systemPrompt: "A story about a farm in the hills." });
    await app.chat.send(conversation.id, "The old house on the hill was quiet", quiet);
    await app.chat.send(conversation.id, "Then the farmer came home", quiet);
    const before = app.chat.get(conversation.id).messages;

    const result = await app.kv.apply({
      conversationId: conversation.id,
      contextSize: 512,
      kv: kvOf(app, "q4_0", "q4_0", "auto"),
    });
    expect(result.method).toBe("reread");
    expect(result.methodReason).toMatch(/could not be converted/);
    expect(result.after).toMatchObject({ k: "q4_0", v: "q4_0" });
    expect(result.probe).toMatchObject({ positions: 32, degraded: false });
    expect(app.chat.get(conversation.id).messages).toEqual(before);
    expect(app.runtime.memory.get()!.kv.usedTokens).toBe(result.conversation!.tokens);

    const next = await app.chat.send(conversation.id, "And the dog barked", quiet);
    expect(next.assistantMessage.stats!.promptTokens).toBeLessThan(16);
    expect(next.assistantMessage.stats!.kv).toBe("q4_0/q4_0");
    expect(app.chat.get(conversation.id).messages).toHaveLength(6);
  });
});
