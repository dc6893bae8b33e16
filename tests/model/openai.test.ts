import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHost, type Host } from "../../src-main/host/hostServer.js";
import { openLowbit, type Lowbit } from "../../src-main/services/lowbit.js";
import { makeTempDir } from "../helpers/tempDir.js";

/** The OpenAI-compatible API of `lowbit serve`, driven by the official `openai` client. */
describe("OpenAI-compatible API", () => {
  const temp = makeTempDir();
  let app: Lowbit;
  let host: Host;
  let client: OpenAI;
  let model: string;

  beforeAll(async () => {
    app = await openLowbit({ home: temp.dir, shell: "test", registerStarterModel: true });
    app.settings.set({ "runtime.contextSize": 512 });
    host = await startHost({ app, rendererDir: temp.dir });
    client = new OpenAI({ apiKey: host.token, baseURL: `http://127.0.0.1:${host.port}/v1` });
    model = app.library.list()[0]!.id;
  });
  afterAll(async () => {
    await host.close();
    app.close();
    temp.cleanup();
  });

  it("lists the library's models", async () => {
    const models = [];
    for await (const entry of client.models.list()) {
      models.push(entry);
    }
    expect(models).toEqual([
      expect.objectContaining({ id: model, object: "model", owned_by: "lowbit" }),
    ]);
  });

  it("answers a chat completion, and streams the same text token by token", async () => {
    const request = {
      model,
      messages: [
        { role: "system" as const, content: "A story about a lighthouse." },
        { role: "user" as const, content: "The keeper climbed the stairs" },
      ],
      max_tokens: 24,
      temperature: 0,
    };
    const whole = await client.chat.completions.create(request);
    expect(whole.object).toBe("chat.completion");
    const text = whole.choices[0]!.message.content ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect(whole.usage).toMatchObject({ completion_tokens: expect.any(Number) });
    expect(whole.usage!.total_tokens).toBe(
      whole.usage!.prompt_tokens + whole.usage!.completion_tokens,
    );

    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        deltas.push(choice.delta.content);
      }
      finish = choice?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(text);
    expect(finish).toBe(whole.choices[0]!.finish_reason);
    expect(usage?.completion_tokens).toBe(whole.usage!.completion_tokens);
  });

  it("honours max_tokens and stop", async () => {
    const short = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Once upon a time" }],
      max_tokens: 3,
      temperature: 0,
    });
    expect(short.choices[0]!.finish_reason).toBe("length");
    expect(short.usage!.completion_tokens).toBe(3);

    const full = await client.completions.create({
      model,
      prompt: "The old house on the hill",
      max_tokens: 20,
      temperature: 0,
    });
    const text = full.choices[0]!.text;
    const cut = text.trim().split(/\s+/)[2]!;
    const stopped = await client.completions.create({
      model,
      prompt: "The old house on the hill",
      max_tokens: 20,
      temperature: 0,
      stop: [cut],
    });
    expect(stopped.choices[0]!.finish_reason).toBe("stop");
    expect(stopped.choices[0]!.text).toBe(text.slice(0, text.indexOf(cut)));
  });

  it("streams a text completion", async () => {
    const stream = await client.completions.create({
      model,
      prompt: "It was a dark and stormy night",
      max_tokens: 12,
      temperature: 0,
      stream: true,
    });
    const parts: string[] = [];
    for await (const chunk of stream) {
      parts.push(chunk.choices[0]?.text ?? "");
    }
    expect(parts.filter((p) => p !== "").length).toBeGreaterThan(1);
  });

  it("refuses a wrong key, an unknown model and tool calls in OpenAI's error format", async () => {
    const stranger = new OpenAI({ apiKey: "nope", baseURL: `http://127.0.0.1:${host.port}/v1` });
    await expect(stranger.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      client.chat.completions.create({
        model: "gpt-4o",
        messages: [{ role: "user", content: "hi" }],
      }),
    ).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    await expect(
      client.chat.completions.create({
        model,
        messages: [{ role: "user", content: "hi" }],
        tools: [{ type: "function", function: { name: "f", parameters: {} } }],
      }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/tools/) });
  });
});
