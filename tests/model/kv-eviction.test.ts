import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KvSettings } from "../../src-main/contract/index.js";
import type { GenerationContext } from "../../src-main/services/chat/chatService.js";
import { openLowbit, type Lowbit } from "../../src-main/services/lowbit.js";
import type { LoadRequest } from "../../src-main/services/runtime/modelRuntime.js";
import type { Sampling } from "../../src-main/services/runtime/workerContract.js";
import { makeTempDir } from "../helpers/tempDir.js";

const sampling = (maxTokens: number): Sampling => ({
  maxTokens,
  temperature: 0,
  topP: 1,
  topK: 0,
  minP: 0,
  repeatPenalty: 1,
  seed: 1,
});

/** What happens when a conversation outgrows the context, on the starter model (256 tokens). */
describe("context overflow and eviction", () => {
  const temp = makeTempDir();
  let app: Lowbit;
  const quiet: GenerationContext = { signal: new AbortController().signal, progress: () => {} };

  beforeAll(async () => {
    app = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: true });
  });
  afterAll(() => {
    app.close();
    temp.cleanup();
  });

  async function load(evict: KvSettings["evict"]): Promise<LoadRequest> {
    const settings = app.settings.get();
    const request = app.library.loadRequest(app.library.list()[0]!, {
      ...settings,
      "runtime.contextSize": 256,
      "runtime.kv": { ...settings["runtime.kv"], evict },
    });
    await app.runtime.load(request);
    return request;
  }

  const story = { kind: "text" as const, prompt: "The old house on the hill was quiet." };

  it("sinks + window: a reply runs past the context size with the sink tokens intact", async () => {
    await load({ policy: "window", sinks: 4, window: 96 });
    await app.runtime.generate({ input: story, sampling: sampling(1) }, { onText: () => {} });
    const sinks = (await app.runtime.inspect()).head.slice(0, 4);

    let streamed = "";
    const result = await app.runtime.generate(
      { input: story, sampling: sampling(600) },
      { onText: (text) => (streamed += text) },
    );
    expect(result.stopReason).toBe("maxTokens");
    expect(result.tokens).toBe(600);
    expect(result.evictedTokens).toBeGreaterThan(600 - 256);
    expect(result.text).toBe(streamed);
    const cache = await app.runtime.inspect();
    expect(cache.cachedTokens).toBeLessThan(256);
    expect(cache.head.slice(0, 4)).toEqual(sinks);
    expect(cache.headText).toMatch(/The old house/);
    const memory = app.runtime.memory.get()!;
    expect(memory.kv.usedTokens).toBe(cache.cachedTokens);
  });

  it("sinks + window: a conversation goes on past the context, keeping the system prompt", async () => {
    const evict = { policy: "window" as const, sinks: 4, window: 128 };
    await load(evict);
    app.settings.set({
      "chat.maxTokens": 48,
      "chat.temperature": 0,
      "runtime.contextSize": 256,
      "runtime.kv": { ...app.settings.get()["runtime.kv"], evict },
    });
    const system = "These are the notes of a ship's cook.";
    const conversation = app.chat.create({ systemPrompt: system });
    let evicted = 0;
    for (let turn = 1; turn <= 8; turn++) {
      const { assistantMessage } = await app.chat.send(
        conversation.id,
        `Day ${turn}: we cooked beans and bread for the whole crew again, and the sea was rough.`,
        quiet,
      );
      expect(assistantMessage.stats!.tokens).toBeGreaterThan(0);
      evicted = assistantMessage.stats!.evictedTokens ?? 0;
      if (turn > 1) {
        // Only the new message is read: the cache is reused across evictions, not re-read.
        expect(assistantMessage.stats!.promptTokens).toBeLessThan(40);
        expect(assistantMessage.stats!.cachedTokens).toBeGreaterThan(80);
      }
    }
    // Eight turns of ~70 tokens do not fit 256: old tokens went, the start did not.
    expect(evicted).toBeGreaterThan(200);
    expect(app.chat.get(conversation.id).messages.at(-1)?.stats?.droppedMessages).toBeGreaterThan(
      0,
    );
    const cache = await app.runtime.inspect();
    expect(cache.cachedTokens).toBeLessThan(256);
    expect(cache.headText).toContain(system);
    expect(app.chat.get(conversation.id).messages).toHaveLength(16);
  });

  it("no eviction: a reply stops when the context is full", async () => {
    await load({ policy: "none", sinks: 4, window: 0 });
    const result = await app.runtime.generate(
      { input: story, sampling: sampling(600) },
      { onText: () => {} },
    );
    expect(result.stopReason).toBe("contextFull");
    expect(result.tokens).toBeLessThan(256);
    expect(result.evictedTokens).toBe(0);
  });

  it("no eviction: a chat whose reply filled the context can still change its cache and go on", async () => {
    await load({ policy: "none", sinks: 4, window: 0 });
    app.settings.set({
      "chat.maxTokens": 600,
      "chat.temperature": 0,
      "runtime.contextSize": 256,
      "runtime.kv": {
        ...app.settings.get()["runtime.kv"],
        evict: { policy: "none", sinks: 4, window: 0 },
      },
    });
    const conversation = app.chat.create({});
    const { assistantMessage } = await app.chat.send(
      conversation.id,
      "It was a long winter",
      quiet,
    );
    expect(assistantMessage.stats?.stopReason).toBe("contextFull");
    const applied = await app.kv.apply({
      conversationId: conversation.id,
      contextSize: 256,
      kv: { ...app.settings.get()["runtime.kv"], k: "q8_0", v: "q8_0" },
    });
    expect(applied.conversation?.tokens).toBeLessThan(256);
    app.settings.set({ "chat.maxTokens": 8 });
    const next = await app.chat.send(conversation.id, "Spring came late", quiet);
    expect(next.assistantMessage.stats).toMatchObject({ kv: "q8_0/q8_0", droppedMessages: 2 });
  });

  it("no eviction: old messages are left out, the system prompt stays, and the reply says so", async () => {
    await load({ policy: "none", sinks: 4, window: 0 });
    app.settings.set({
      "chat.maxTokens": 16,
      "chat.temperature": 0,
      "runtime.contextSize": 256,
      "runtime.kv": {
        ...app.settings.get()["runtime.kv"],
        evict: { policy: "none", sinks: 4, window: 0 },
      },
    });
    const system = "This is the diary of a lighthouse keeper.";
    const conversation = app.chat.create({ systemPrompt: system });
    const long = (n: number) =>
      `Day ${n}. The wind came from the sea again and the lamp needed oil before the evening ` +
      `boat passed the rocks near the northern cliffs, so I climbed the stairs twice.`;
    let dropped = 0;
    for (let day = 1; day <= 6 && dropped === 0; day++) {
      const { assistantMessage } = await app.chat.send(conversation.id, long(day), quiet);
      dropped = assistantMessage.stats?.droppedMessages ?? 0;
    }
    expect(dropped).toBeGreaterThan(0);
    expect((await app.runtime.inspect()).headText).toContain(system);
    // Nothing is lost from the conversation itself: only the model's view was trimmed.
    expect(app.chat.get(conversation.id).messages.length).toBeGreaterThan(dropped);
  });
});

describe("the pre-load memory estimate", () => {
  const temp = makeTempDir();
  let app: Lowbit;

  beforeAll(async () => {
    app = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: true });
  });
  afterAll(() => {
    app.close();
    temp.cleanup();
  });

  it("counts weights, the KV cache at its type and compute, and sees a quantized cache shrink", async () => {
    const id = app.library.list()[0]!.id;
    const kv = app.settings.get()["runtime.kv"];
    const f16 = await app.kv.estimate(id, { contextSize: 512 });
    const q4 = await app.kv.estimate(id, { contextSize: 512, kv: { ...kv, k: "q4_0", v: "q4_0" } });
    expect(f16.method).toBe("dry-run");
    expect(f16.weightsBytes).toBeGreaterThan(30e6);
    expect(f16.kvBytes).toBe(3072 * 512);
    expect(q4.kvBytes / f16.kvBytes).toBeCloseTo(18 / 64, 6);
    expect(f16.computeBytes).toBeGreaterThan(0);
    expect(q4.ramBytes).toBeLessThan(f16.ramBytes);
    expect(f16.ramBytes).toBe(f16.weightsBytes + f16.kvBytes + f16.computeBytes);
    expect(f16.fits).toBe(true);
  });

  it("refuses a model that does not fit, says what it needs, and loads anyway when asked", async () => {
    app.settings.set({ "runtime.memoryLimit": 32 * 2 ** 20 });
    const request = await app.library.prepareLoad(app.library.list()[0]!, app.settings.get());
    await expect(app.runtime.load(request)).rejects.toMatchObject({
      code: "insufficient_memory",
      message: expect.stringMatching(/needs about .* MiB of RAM .* your memory limit is 32\.0 MiB/),
      hint: expect.stringMatching(/Load anyway/),
    });
    expect(app.runtime.state.get()).toMatchObject({
      status: "empty",
      error: { code: "insufficient_memory" },
    });
    const state = await app.runtime.load(request, { force: true });
    expect(state.status).toBe("ready");
    expect(state.error).toBeNull();
  });
});
