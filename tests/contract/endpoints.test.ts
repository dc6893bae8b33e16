import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appContract,
  type DownloadRecord,
  type GenerationProgress,
  type JobRecord,
  type MemorySnapshot,
  type RuntimeState,
  type Settings,
} from "../../src-main/contract/index.js";
import {
  openHarness,
  rawExchange,
  type Harness,
  type TransportKind,
} from "../helpers/appHarness.js";
import { FlakyServer } from "../helpers/flakyServer.js";
import { tinyModelPath } from "../helpers/tinyModel.js";

/**
 * Every endpoint of the app contract, over each transport, against the real services.
 * `covered` must end up naming every endpoint: a new endpoint without a test fails this suite.
 */
const covered = new Set<string>();
const kinds: TransportKind[] = ["memory", "websocket"];

for (const kind of kinds) {
  describe(`app contract over ${kind}`, () => {
    let h: Harness;
    let modelFile: string;

    beforeAll(async () => {
      h = await openHarness(kind);
      modelFile = path.join(h.home, "incoming.gguf");
      copyFileSync(await tinyModelPath(), modelFile);
    }, 60_000);
    afterAll(async () => h.close());

    it("runtime.capabilities says whether the extended runtime is loaded, and why not", async () => {
      covered.add("runtime.capabilities");
      const { extended } = await h.client.call("runtime.capabilities", {});
      if (extended.available) {
        expect(extended).toEqual({
          available: true,
          buildType: "localBuild",
          types: ["PTQTP1", "PTQTP2"],
        });
      } else {
        expect(extended.reason).toMatch(/\w+ \w+ \w+/);
        expect(extended.hint).toMatch(/npm install|extended-build/);
      }
      // Checked once per app run.
      expect(await h.client.call("runtime.capabilities", {})).toEqual({ extended });
    }, 90_000);

    it("app.info and app.pickModelFile", async () => {
      covered.add("app.info").add("app.pickModelFile");
      const info = await h.client.call("app.info", {});
      expect(info.home).toBe(h.home);
      expect(info.canPickFiles).toBe(false);
      await expect(h.client.call("app.pickModelFile", {})).rejects.toMatchObject({
        code: "unsupported",
      });
    });

    it("settings.get, settings.set and settings.changed", async () => {
      covered.add("settings.get").add("settings.set").add("settings.changed");
      const seen: Settings[] = [];
      const unsubscribe = h.client.subscribe("settings.changed", {}, (s) => seen.push(s));
      const before = await h.client.call("settings.get", {});
      expect(before["chat.temperature"]).toBe(0.7);
      const after = await h.client.call("settings.set", {
        patch: { "chat.temperature": 0, "chat.maxTokens": 8 },
      });
      expect(after["chat.temperature"]).toBe(0);
      await expect(
        h.client.call("settings.set", { patch: { "chat.temperature": 9 } }),
      ).rejects.toMatchObject({
        code: "invalid_params",
        message: expect.stringContaining("chat.temperature"),
      });
      await waitFor(() => seen.some((s) => s["chat.maxTokens"] === 8));
      unsubscribe();
    });

    it("models.import streams progress, then list, get, resolve and rename", async () => {
      covered
        .add("models.import")
        .add("models.list")
        .add("models.get")
        .add("models.resolve")
        .add("models.rename");
      const phases = new Set<string>();
      const model = await h.client.job(
        "models.import",
        { path: modelFile },
        { onProgress: (p) => phases.add(p.phase) },
      );
      expect(phases.has("copying")).toBe(true);
      expect(model.linked).toBe(false);
      expect(model.path.startsWith(path.join(h.home, "models"))).toBe(true);
      expect(await h.client.call("models.list", {})).toEqual([model]);
      expect(await h.client.call("models.get", { id: model.id })).toEqual(model);
      expect((await h.client.call("models.resolve", { ref: model.name })).id).toBe(model.id);
      const renamed = await h.client.call("models.rename", { id: model.id, name: "Tiny" });
      expect(renamed.name).toBe("Tiny");
      expect((await h.client.call("settings.get", {}))["library.selectedModelId"]).toBe(model.id);
      covered.add("models.changed");
      const pushed = await new Promise<unknown[]>((resolve) => {
        const stop = h.client.subscribe("models.changed", {}, (models) => {
          if (models.some((m) => m.name === "Tiny 2")) {
            stop();
            resolve(models);
          }
        });
        void h.client.call("models.rename", { id: model.id, name: "Tiny 2" });
      });
      expect(pushed).toHaveLength(1);
    });

    it("models.import refuses a file that is not a model, and registers nothing", async () => {
      const text = path.join(h.home, "notes.gguf");
      writeFileSync(text, "these are my notes, not a model\n");
      await expect(h.client.job("models.import", { path: text })).rejects.toMatchObject({
        code: "bad_model_file",
      });
      expect(await h.client.call("models.list", {})).toHaveLength(1);
    });

    it("jobs.list and jobs.changed record the imports", async () => {
      covered.add("jobs.list").add("jobs.changed");
      const jobs = await h.client.call("jobs.list", {});
      expect(jobs.map((j) => j.state).sort()).toEqual(["done", "failed"]);
      const pushed = await new Promise<JobRecord[]>((resolve) => {
        const stop = h.client.subscribe("jobs.changed", {}, (value) => {
          stop();
          resolve(value);
        });
      });
      expect(pushed).toHaveLength(2);
    });

    it("conversations.create, list, get and rename", async () => {
      covered
        .add("conversations.create")
        .add("conversations.list")
        .add("conversations.get")
        .add("conversations.rename");
      const created = await h.client.call("conversations.create", {});
      expect(created.title).toBe("New chat");
      const renamed = await h.client.call("conversations.rename", {
        id: created.id,
        title: "Plans",
      });
      expect(renamed.title).toBe("Plans");
      expect((await h.client.call("conversations.list", {})).map((c) => c.id)).toContain(
        created.id,
      );
      expect(await h.client.call("conversations.get", { id: created.id })).toMatchObject({
        messages: [],
      });
    });

    it("chat.send streams tokens, runtime.state follows, chat.regenerate replaces the reply", async () => {
      covered.add("chat.send").add("chat.regenerate").add("runtime.state");
      const states: RuntimeState["status"][] = [];
      const stop = h.client.subscribe("runtime.state", {}, (s) => states.push(s.status));
      const conversation = await h.client.call("conversations.create", {});
      const packets: GenerationProgress[] = [];
      const sent = await h.client.job(
        "chat.send",
        { conversationId: conversation.id, text: "Hello" },
        { onProgress: (p) => packets.push(p) },
      );
      const streamed = packets.flatMap((p) => (p.type === "token" ? [p.text] : [])).join("");
      expect(packets[0]?.type).toBe("started");
      expect(sent.assistantMessage.content).toBe(streamed);
      expect(sent.assistantMessage.stats?.tokens).toBeGreaterThan(0);
      expect(sent.assistantMessage.stats?.tokens).toBeLessThanOrEqual(8);
      const again = await h.client.job("chat.regenerate", { conversationId: conversation.id });
      const stored = await h.client.call("conversations.get", { id: conversation.id });
      expect(stored.messages.map((m) => m.id)).toEqual([
        sent.userMessage.id,
        again.assistantMessage.id,
      ]);
      await waitFor(() => states.includes("generating") && states.at(-1) === "ready");
      stop();
    });

    it("runtime.unload and runtime.load", async () => {
      covered.add("runtime.unload").add("runtime.load");
      expect((await h.client.call("runtime.unload", {})).status).toBe("empty");
      const model = (await h.client.call("models.list", {}))[0]!;
      const fractions: number[] = [];
      const state = await h.client.job(
        "runtime.load",
        { modelId: model.id },
        { onProgress: (p) => fractions.push(p.fraction) },
      );
      expect(state.status).toBe("ready");
      expect(state.model?.id).toBe(model.id);
      expect(fractions.length).toBeGreaterThan(0);
    });

    it("chat.edit, conversations.setSystemPrompt, conversations.search and conversations.export", async () => {
      covered
        .add("chat.edit")
        .add("conversations.setSystemPrompt")
        .add("conversations.search")
        .add("conversations.export");
      const conversation = await h.client.call("conversations.create", {
        systemPrompt: "Be brief.",
      });
      expect(conversation.systemPrompt).toBe("Be brief.");
      const sent = await h.client.job("chat.send", {
        conversationId: conversation.id,
        text: "Zebra crossing",
      });
      const edited = await h.client.job("chat.edit", {
        conversationId: conversation.id,
        messageId: sent.userMessage.id,
        text: "Zebra stripes",
      });
      expect(edited.userMessage).toMatchObject({
        id: sent.userMessage.id,
        content: "Zebra stripes",
      });
      const stored = await h.client.call("conversations.get", { id: conversation.id });
      expect(stored.messages.map((m) => m.id)).toEqual([
        sent.userMessage.id,
        edited.assistantMessage.id,
      ]);
      const cleared = await h.client.call("conversations.setSystemPrompt", {
        id: conversation.id,
        systemPrompt: "",
      });
      expect(cleared.systemPrompt).toBe("");
      const hits = await h.client.call("conversations.search", { query: "ZEBRA" });
      expect(hits.map((hit) => hit.conversation.id)).toEqual([conversation.id]);
      expect(hits[0]?.snippet).toContain("Zebra stripes");
      const markdown = await h.client.call("conversations.export", {
        id: conversation.id,
        format: "markdown",
      });
      expect(markdown.content).toContain("## You\n\nZebra stripes");
      await expect(
        h.client.call("conversations.export", {
          id: conversation.id,
          format: "pdf" as "markdown",
        }),
      ).rejects.toMatchObject({ code: "invalid_params" });
    });

    it("kv.capabilities, runtime.estimate, kv.apply and runtime.memory; runtime.load refuses, then forces", async () => {
      covered.add("kv.capabilities").add("kv.apply").add("runtime.estimate").add("runtime.memory");
      const snapshots: Array<MemorySnapshot | null> = [];
      const stop = h.client.subscribe("runtime.memory", {}, (m) => snapshots.push(m));
      const caps = await h.client.call("kv.capabilities", {});
      expect(caps.backend).toBe("cpu");
      expect(caps.types.find((t) => t.type === "q8_0")).toMatchObject({ available: true });
      expect(caps.model).toMatchObject({ layers: 2, headDimK: 64 });
      const model = (await h.client.call("models.list", {}))[0]!;
      const settings = await h.client.call("settings.get", {});
      const q8 = { ...settings["runtime.kv"], k: "q8_0" as const, v: "q8_0" as const };
      const estimate = await h.client.call("runtime.estimate", { modelId: model.id, kv: q8 });
      expect(estimate).toMatchObject({ fits: true, kv: { k: "q8_0", v: "q8_0" } });
      const [conversation] = await h.client.call("conversations.list", {});
      const phases = new Set<string>();
      const applied = await h.client.job(
        "kv.apply",
        { conversationId: conversation!.id, contextSize: 512, kv: q8 },
        { onProgress: (p) => phases.add(p.phase) },
      );
      expect(applied).toMatchObject({ applied: true, after: { k: "q8_0", v: "q8_0" } });
      expect(applied.after!.kvBytes / applied.before!.kvBytes).toBeCloseTo(34 / 64, 6);
      expect(phases.has("ingesting")).toBe(true);
      // Only the types changed: the conversation's cache was converted, not read again.
      expect(applied).toMatchObject({ method: "converted", methodReason: null });
      expect(phases.has("converting")).toBe(true);
      await waitFor(() => snapshots.at(-1)?.kv.allocatedBytes === applied.after!.kvBytes);
      await expect(
        h.client.job("kv.apply", {
          conversationId: null,
          contextSize: 512,
          kv: { ...q8, flashAttention: "off" },
        }),
      ).rejects.toMatchObject({
        code: "invalid_params",
        message: expect.stringMatching(/flash attention/),
      });

      await h.client.call("settings.set", { patch: { "runtime.memoryLimit": 1024 } });
      await expect(h.client.job("runtime.load", { modelId: model.id })).rejects.toMatchObject({
        code: "insufficient_memory",
      });
      const forced = await h.client.job("runtime.load", { modelId: model.id, force: true });
      expect(forced.status).toBe("ready");
      await h.client.call("settings.set", { patch: { "runtime.memoryLimit": null } });
      stop();
    });

    it("compress: levels, quantize with progress, runs.*, suggestExportPath and export", async () => {
      covered
        .add("compress.levels")
        .add("compress.quantize")
        .add("compress.export")
        .add("compress.suggestExportPath")
        .add("runs.list")
        .add("runs.get")
        .add("runs.cancel")
        .add("runs.changed");
      const [source] = await h.client.call("models.list", {});
      const levels = await h.client.call("compress.levels", {
        modelId: source!.id,
        kvTypeK: "q8_0",
      });
      expect(levels.kvTypeK).toBe("q8_0");
      const q8 = levels.levels.find((l) => l.level === "Q8_0")!;
      expect(q8).toMatchObject({ available: true, needsImatrix: false, baseType: "Q8_0" });
      await expect(
        h.client.call("compress.levels", { modelId: source!.id, kvTypeK: "q3_k" as "q8_0" }),
      ).rejects.toMatchObject({
        code: "invalid_params",
        message: expect.stringContaining("kvTypeK"),
      });

      const pushed: string[] = [];
      const stop = h.client.subscribe("runs.changed", {}, (runs) =>
        pushed.push(runs[0]?.status ?? "none"),
      );
      const phases = new Set<string>();
      const made = await h.client.job(
        "compress.quantize",
        { modelId: source!.id, level: "q8_0", threads: 1 },
        { onProgress: (p) => phases.add(p.phase) },
      );
      expect([...phases]).toEqual(["queued", "quantizing", "verifying", "registering"]);
      expect(made.model.sizeBytes).toBe(q8.sizeBytes);
      expect(made.run).toMatchObject({
        status: "done",
        level: "Q8_0",
        outputModelId: made.model.id,
      });
      await waitFor(() => pushed.includes("done"));
      stop();
      expect(
        (await h.client.call("runs.list", { modelId: made.model.id })).map((r) => r.id),
      ).toEqual([made.run.id]);
      expect(await h.client.call("runs.get", { id: made.run.id })).toEqual(made.run);
      expect(made.run.method).toBe("rtn");
      // Calibrated rounding needs a grid for the level's type: Q8_0 has none, and it says so.
      await expect(
        h.client.job("compress.quantize", { modelId: source!.id, level: "Q8_0", method: "gptq" }),
      ).rejects.toMatchObject({
        code: "invalid_params",
        message: expect.stringContaining("not available for Q8_0"),
        hint: expect.stringContaining("--method rtn"),
      });
      expect(await h.client.call("runs.cancel", { id: made.run.id })).toEqual({ cancelled: false });
      await expect(h.client.call("runs.get", { id: "nope" })).rejects.toMatchObject({
        code: "not_found",
      });

      const { path: suggested } = await h.client.call("compress.suggestExportPath", {
        modelId: made.model.id,
      });
      expect(suggested).toMatch(/\.gguf$/);
      const target = path.join(h.home, "exported.gguf");
      const exported = await h.client.job("compress.export", { runId: made.run.id, path: target });
      expect(exported).toMatchObject({ path: target, sizeBytes: expect.any(Number) });
      expect(exported.provenance["lowbit.level"]).toBe("Q8_0");
      expect(readFileSync(`${target}.sha256`, "utf8")).toContain(exported.sha256);
      await expect(
        h.client.job("compress.export", {
          modelId: made.model.id,
          runId: made.run.id,
          path: target,
        }),
      ).rejects.toMatchObject({ code: "invalid_params" });
      await expect(
        h.client.job("compress.export", { modelId: made.model.id, path: target }),
      ).rejects.toMatchObject({ code: "already_exists" });
      // Leave the library as the tests below expect it: the imported model only.
      await h.client.call("models.remove", { id: made.model.id });
    }, 90_000);

    it("evaluate: sweep, run, list, get, changed, info, remove and clearCache", async () => {
      covered
        .add("evaluate.sweep")
        .add("evaluate.run")
        .add("evaluate.list")
        .add("evaluate.get")
        .add("evaluate.changed")
        .add("evaluate.info")
        .add("evaluate.remove")
        .add("evaluate.clearCache");
      const [source] = await h.client.call("models.list", {});
      const measure = { contextSize: 64, chunks: 2, threads: 1 };
      const pushed: string[] = [];
      const stop = h.client.subscribe("evaluate.changed", {}, (list) =>
        pushed.push(list[0]?.status ?? "none"),
      );
      const steps = new Set<string>();
      const { items } = await h.client.job(
        "evaluate.sweep",
        { modelId: source!.id, levels: ["q8_0"], imatrix: "off", ...measure },
        { onProgress: (p) => steps.add(p.step) },
      );
      expect([...steps]).toEqual(["quantize", "evaluate", "done"]);
      expect(items).toHaveLength(1);
      const [item] = items;
      expect(item).toMatchObject({ level: "Q8_0", error: null, reusedEvaluation: false });
      const measured = item!.evaluation!;
      expect(measured).toMatchObject({
        status: "done",
        runId: item!.run!.id,
        base: { id: source!.id },
        contextSize: 64,
        chunks: 2,
        kldMethod: "full-vocabulary",
      });
      expect(measured.metrics!.tokens).toBe(2 * 31);
      await waitFor(() => pushed.includes("done"));

      // The same measurement again is the one already made; `force` measures anew on the cache.
      const again = await h.client.job("evaluate.run", { modelId: measured.model.id!, ...measure });
      expect(again.id).toBe(measured.id);
      const phases = new Set<string>();
      const forced = await h.client.job(
        "evaluate.run",
        { modelId: measured.model.id!, force: true, ...measure },
        { onProgress: (p) => phases.add(p.phase) },
      );
      expect(forced.id).not.toBe(measured.id);
      expect(phases.has("base")).toBe(false);
      expect(forced.metrics).toMatchObject({ baseReused: true, kld: measured.metrics!.kld });
      expect(
        (await h.client.call("evaluate.list", { runId: item!.run!.id })).map((e) => e.id),
      ).toEqual([forced.id, measured.id]);
      expect(await h.client.call("evaluate.get", { id: measured.id })).toEqual(measured);
      await expect(
        h.client.job("evaluate.run", { modelId: source!.id, ...measure }),
      ).rejects.toMatchObject({
        code: "invalid_params",
        message: expect.stringContaining("does not know which model to measure it against"),
      });

      const info = await h.client.call("evaluate.info", {});
      expect(info.defaultText?.name).toBe("Brown held-out split");
      expect(info.cache).toMatchObject({ files: 1, capBytes: 2 * 2 ** 30 });
      expect(await h.client.call("evaluate.remove", { id: forced.id })).toEqual({ removed: true });
      await expect(h.client.call("evaluate.get", { id: forced.id })).rejects.toMatchObject({
        code: "not_found",
      });
      expect(await h.client.call("evaluate.clearCache", {})).toMatchObject({ files: 1 });
      expect((await h.client.call("evaluate.info", {})).cache.bytes).toBe(0);
      stop();
      await h.client.call("models.remove", { id: measured.model.id! });
    }, 120_000);

    it("conversations.remove and models.remove", async () => {
      covered.add("conversations.remove").add("models.remove");
      const [conversation] = await h.client.call("conversations.list", {});
      expect(await h.client.call("conversations.remove", { id: conversation!.id })).toEqual({
        removed: true,
      });
      await expect(
        h.client.call("conversations.get", { id: conversation!.id }),
      ).rejects.toMatchObject({ code: "not_found" });
      const [model] = await h.client.call("models.list", {});
      expect(await h.client.call("models.remove", { id: model!.id })).toEqual({
        removed: true,
        fileDeleted: true,
      });
      expect(await h.client.call("models.list", {})).toEqual([]);
    });

    it("downloads: search, check, pull, and pause, resume, cancel, clear from the queue", async () => {
      covered
        .add("downloads.search")
        .add("downloads.check")
        .add("downloads.add")
        .add("downloads.pull")
        .add("downloads.list")
        .add("downloads.changed")
        .add("downloads.pause")
        .add("downloads.resume")
        .add("downloads.cancel")
        .add("downloads.clear");
      const server = await FlakyServer.start();
      try {
        const bytes = readFileSync(modelFile);
        server.addRepo("acme/Tiny-GGUF", [{ path: "tiny-F16.gguf", bytes }]);
        await h.client.call("settings.set", { patch: { "downloads.hubUrl": server.url } });
        const listing = await h.client.call("downloads.search", { source: "hf:acme/Tiny-GGUF" });
        const file = listing.files[0]!;
        expect(file).toMatchObject({ fileName: "tiny-F16.gguf", quant: "F16", parts: 1 });
        const check = await h.client.call("downloads.check", { source: file.source });
        expect(check).toMatchObject({ canLoad: true, checksum: "hub", arch: "llama" });

        const seen: DownloadRecord[][] = [];
        const stop = h.client.subscribe("downloads.changed", {}, (records) => seen.push(records));
        const phases = new Set<string>();
        const model = await h.client.job(
          "downloads.pull",
          { source: file.source },
          { onProgress: (p) => phases.add(p.phase) },
        );
        expect(model).toMatchObject({ verified: true, checksum: "hub", source: "downloaded" });
        expect(phases.has("done")).toBe(true);
        const [done] = await h.client.call("downloads.list", {});
        expect(done).toMatchObject({ state: "done", modelId: model.id, fraction: 1 });

        server.addFile("slow.gguf", { bytes, bytesPerSecond: 300_000 });
        const slow = await h.client.call("downloads.add", {
          source: `${server.url}/files/slow.gguf`,
        });
        await waitFor(() =>
          seen.some((r) => r.some((d) => d.id === slow.id && d.receivedBytes > 0)),
        );
        expect(await h.client.call("downloads.pause", { id: slow.id })).toMatchObject({
          state: "paused",
        });
        const resumed = await h.client.call("downloads.resume", { id: slow.id });
        expect(["queued", "connecting", "downloading"]).toContain(resumed.state);
        expect(await h.client.call("downloads.cancel", { id: slow.id })).toMatchObject({
          state: "cancelled",
        });
        expect(await h.client.call("downloads.clear", { id: slow.id })).toEqual({ removed: true });
        expect(await h.client.call("downloads.clear", { id: done!.id })).toEqual({ removed: true });
        expect(await h.client.call("downloads.list", {})).toEqual([]);
        stop();
        await h.client.call("models.remove", { id: model.id });
      } finally {
        await server.close();
      }
    });

    it("answers invalid messages with typed errors naming the endpoint and field", async () => {
      expect(
        await rawExchange(h.raw, {
          t: "call",
          id: 10_001,
          ep: "models.rename",
          params: { id: "x", name: 5 },
        }),
      ).toMatchObject({
        t: "err",
        id: 10_001,
        error: {
          code: "invalid_params",
          message: expect.stringMatching(/models\.rename: invalid params: field "name"/),
        },
      });
      expect(
        await rawExchange(h.raw, { t: "job", id: 10_002, ep: "models.list", params: {} }),
      ).toMatchObject({
        error: { code: "unknown_endpoint" },
      });
      expect(await rawExchange(h.raw, { t: "launch", id: "x" })).toMatchObject({
        t: "warning",
        error: { code: "invalid_message" },
      });
      // Still serving after all that.
      expect(await h.client.call("models.list", {})).toEqual([]);
    });
  });
}

describe("coverage", () => {
  it("every endpoint of the contract is exercised above", () => {
    expect([...covered].sort()).toEqual(Object.keys(appContract).sort());
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error("timed out waiting for a condition");
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
