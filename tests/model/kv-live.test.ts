import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KvSettings, Message } from "../../src-main/contract/index.js";
import type { GenerationContext } from "../../src-main/services/chat/chatService.js";
import { openLowbit, type Lowbit } from "../../src-main/services/lowbit.js";
import { makeTempDir } from "../helpers/tempDir.js";

/**
 * Live KV compression on the bundled starter model: a conversation switched f16 → q8_0 → q4_0
 * keeps every message, the cache shrinks by the types' byte ratios, and the chat goes on.
 */
describe("live KV-cache changes", () => {
  const temp = makeTempDir();
  let app: Lowbit;
  const quiet: GenerationContext = { signal: new AbortController().signal, progress: () => {} };

  beforeAll(async () => {
    app = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: true });
    app.settings.set({ "chat.maxTokens": 32, "chat.temperature": 0, "runtime.contextSize": 512 });
  });
  afterAll(() => {
    app.close();
    temp.cleanup();
  });

  const kv = (type: KvSettings["k"]): KvSettings => ({
    ...app.settings.get()["runtime.kv"],
    k: type,
    v: type,
  });

  it("keeps every message through f16 → q8_0 → q4_0, and the KV bytes follow 34/64 and 18/64", async () => {
    const conversation = app.chat.create({ systemPrompt: "A story about a farm in the hills." });
    await app.chat.send(conversation.id, "The old house on the hill was quiet", quiet);
    await app.chat.send(conversation.id, "Then the farmer came home", quiet);
    const messages = (): Message[] => app.chat.get(conversation.id).messages;
    const before = messages();
    expect(before).toHaveLength(4);
    const f16 = app.runtime.memory.get()!;
    expect(f16.kv.allocatedBytes).toBe(6 * 2 * 2 * 64 * 2 * 512); // layers·(K+V)·kvHeads·headDim·2 B·cells

    const phases = new Set<string>();
    const toQ8 = await app.kv.apply(
      { conversationId: conversation.id, contextSize: 512, kv: kv("q8_0") },
      { onProgress: (p) => phases.add(p.phase) },
    );
    expect(phases).toEqual(new Set(["rebuilding", "converting", "ingesting", "probing"]));
    expect(toQ8.applied).toBe(true);
    expect(toQ8.method).toBe("converted");
    expect(messages()).toEqual(before);
    expect(toQ8.after!.kvBytes / toQ8.before!.kvBytes).toBeCloseTo(34 / 64, 6);
    // llama.cpp's own measure of the conversation's cache (its saved state) follows the ratio.
    const q8State = toQ8.conversation!.stateBytesAfter / toQ8.conversation!.stateBytesBefore!;
    expect(Math.abs(q8State / (34 / 64) - 1)).toBeLessThan(0.05);
    expect(toQ8.probe).toMatchObject({ positions: 32, degraded: false });
    expect(toQ8.probe!.topAgreement).toBeGreaterThanOrEqual(0.9);
    expect(app.runtime.memory.get()!.kv.allocatedBytes).toBe(toQ8.after!.kvBytes);

    const toQ4 = await app.kv.apply({
      conversationId: conversation.id,
      contextSize: 512,
      kv: kv("q4_0"),
    });
    expect(messages()).toEqual(before);
    expect(toQ4.after!.kvBytes / toQ8.before!.kvBytes).toBeCloseTo(18 / 64, 6);
    const q4State = toQ4.conversation!.stateBytesAfter / toQ8.conversation!.stateBytesBefore!;
    expect(Math.abs(q4State / (18 / 64) - 1)).toBeLessThan(0.05);
    expect(app.runtime.state.get().kv).toMatchObject({
      k: "q4_0",
      v: "q4_0",
      flashAttention: true,
    });

    // The conversation goes on with the re-ingested cache: only the new message is read.
    const next = await app.chat.send(conversation.id, "And the dog barked", quiet);
    expect(next.assistantMessage.stats).toMatchObject({ kv: "q4_0/q4_0" });
    expect(next.assistantMessage.stats!.cachedTokens).toBeGreaterThanOrEqual(
      toQ4.conversation!.tokens - 2,
    );
    expect(messages()).toHaveLength(6);
    expect(app.settings.get()["runtime.kv"]).toMatchObject({ k: "q4_0", v: "q4_0" });
  });

  it("refuses a quantized V cache with flash attention off, saying why, and keeps the settings", async () => {
    const saved = app.settings.get()["runtime.kv"];
    await expect(
      app.kv.apply({
        conversationId: null,
        contextSize: 512,
        kv: { ...kv("q8_0"), flashAttention: "off" },
      }),
    ).rejects.toMatchObject({
      code: "invalid_params",
      message: expect.stringMatching(/quantized V cache needs flash attention/),
    });
    expect(app.settings.get()["runtime.kv"]).toEqual(saved);
    expect(app.runtime.state.get().status).toBe("ready");
  });

  it("a load with a combination saved some other way is refused before llama.cpp sees it", async () => {
    const saved = app.settings.get()["runtime.kv"];
    app.settings.set({ "runtime.kv": { ...kv("q8_0"), flashAttention: "off" } });
    const request = app.library.loadRequest(app.library.list()[0]!, app.settings.get());
    await expect(app.runtime.load(request)).rejects.toMatchObject({
      code: "invalid_params",
      hint: expect.stringMatching(/side panel/),
    });
    app.settings.set({ "runtime.kv": saved });
    expect(
      (await app.runtime.load(app.library.loadRequest(app.library.list()[0]!, app.settings.get())))
        .status,
    ).toBe("ready");
  });

  it("applies K-only quantization with flash attention off (a quantized K needs no FA)", async () => {
    const result = await app.kv.apply({
      conversationId: null,
      contextSize: 512,
      kv: { ...kv("f16"), k: "q8_0", flashAttention: "off" },
    });
    expect(result.after).toMatchObject({ k: "q8_0", v: "f16", flashAttention: false });
    expect(result.after!.kvBytesPerToken).toBe(6 * 2 * 64 * (34 / 32) + 6 * 2 * 64 * 2);
  });
});
