import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError, job, rpc, signal } from "../../../src-main/contract/index.js";
import { ContractClient } from "../../../src-main/rpc/client.js";
import { serveContract, type Handlers } from "../../../src-main/rpc/server.js";
import { Signal } from "../../../src-main/rpc/signal.js";
import { createMemoryTransportPair } from "../../../src-main/rpc/transports/memory.js";

const contract = {
  "math.add": rpc(z.object({ a: z.number(), b: z.number() }), z.number()),
  "count.up": job(
    z.object({ to: z.number().int().min(1) }),
    z.object({ at: z.number() }),
    z.object({ reached: z.number() }),
  ),
  "clock.now": signal(z.object({}), z.object({ tick: z.number() })),
  "broken.result": rpc(z.object({}), z.string()),
};

function setup(overrides: Partial<Handlers<typeof contract>> = {}) {
  const clock = new Signal({ tick: 0 });
  const handlers: Handlers<typeof contract> = {
    "math.add": ({ a, b }) => a + b,
    "count.up": async ({ to }, ctx) => {
      for (let i = 1; i <= to; i++) {
        if (ctx.signal.aborted) {
          throw new AppError("cancelled", "Cancelled.");
        }
        ctx.progress({ at: i });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return { reached: to };
    },
    "clock.now": () => clock,
    "broken.result": () => 42 as unknown as string,
    ...overrides,
  };
  const [clientEnd, serverEnd] = createMemoryTransportPair();
  const warnings: string[] = [];
  serveContract(contract, handlers, serverEnd, { onWarning: (w) => warnings.push(w.message) });
  const client = new ContractClient(contract, clientEnd);
  return { client, clientEnd, clock, warnings };
}

describe("contract ports", () => {
  let cleanup: Array<() => void> = [];
  afterEach(() => {
    cleanup.forEach((fn) => fn());
    cleanup = [];
  });

  it("answers a call with the handler's result", async () => {
    const { client } = setup();
    cleanup.push(() => client.close());
    await expect(client.call("math.add", { a: 2, b: 3 })).resolves.toBe(5);
  });

  it("refuses bad params on the client, naming the endpoint and the field", async () => {
    const { client } = setup();
    cleanup.push(() => client.close());
    await expect(client.call("math.add", { a: 2, b: "3" } as never)).rejects.toMatchObject({
      code: "invalid_params",
      message: expect.stringMatching(/math\.add.*field "b"/),
    });
  });

  it("refuses bad params on the server too, without crashing it", async () => {
    const { client, clientEnd } = setup();
    cleanup.push(() => client.close());
    const reply = await new Promise((resolve) => {
      clientEnd.onMessage(resolve);
      clientEnd.send({ t: "call", id: 999, ep: "math.add", params: { a: "x" } });
    });
    expect(reply).toMatchObject({ t: "err", id: 999, error: { code: "invalid_params" } });
    expect((reply as { error: { message: string } }).error.message).toMatch(
      /math\.add: invalid params: field "a"/,
    );
    await expect(client.call("math.add", { a: 1, b: 1 })).resolves.toBe(2);
  });

  it("answers an unreadable envelope with a warning and keeps serving", async () => {
    const { client, clientEnd, warnings } = setup();
    cleanup.push(() => client.close());
    const reply = await new Promise((resolve) => {
      clientEnd.onMessage(resolve);
      clientEnd.send("not even an object");
    });
    expect(reply).toMatchObject({ t: "warning", error: { code: "invalid_message" } });
    expect(warnings).toHaveLength(1);
    await expect(client.call("math.add", { a: 1, b: 2 })).resolves.toBe(3);
  });

  it("reports an unknown endpoint by name", async () => {
    const { client, clientEnd } = setup();
    cleanup.push(() => client.close());
    const reply = await new Promise((resolve) => {
      clientEnd.onMessage(resolve);
      clientEnd.send({ t: "call", id: 5, ep: "math.divide", params: {} });
    });
    expect(reply).toMatchObject({
      t: "err",
      id: 5,
      error: { code: "unknown_endpoint", message: expect.stringContaining("math.divide") },
    });
  });

  it("streams job progress in order and resolves with the result", async () => {
    const { client } = setup();
    cleanup.push(() => client.close());
    const seen: number[] = [];
    const result = await client.job("count.up", { to: 4 }, { onProgress: (p) => seen.push(p.at) });
    expect(result).toEqual({ reached: 4 });
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it("cancels a job from the client", async () => {
    const { client } = setup();
    cleanup.push(() => client.close());
    const abort = new AbortController();
    const seen: number[] = [];
    const promise = client.job(
      "count.up",
      { to: 1000 },
      {
        signal: abort.signal,
        onProgress: (p) => {
          seen.push(p.at);
          if (p.at === 3) {
            abort.abort();
          }
        },
      },
    );
    await expect(promise).rejects.toMatchObject({ code: "cancelled" });
    expect(seen.length).toBeLessThan(20);
  });

  it("lets go of a shared abort signal when each call ends", async () => {
    const { client } = setup();
    cleanup.push(() => client.close());
    const chat = new AbortController();
    for (let i = 0; i < 20; i++) {
      await client.job("count.up", { to: 1 }, { signal: chat.signal });
      await client.call("math.add", { a: i, b: 1 });
    }
    expect(getEventListeners(chat.signal, "abort")).toHaveLength(0);
    // It still cancels a call in flight.
    const running = client.job("count.up", { to: 1000 }, { signal: chat.signal });
    expect(getEventListeners(chat.signal, "abort")).toHaveLength(1);
    chat.abort();
    await expect(running).rejects.toMatchObject({ code: "cancelled" });
  });

  it("keeps a job going when a progress callback throws", async () => {
    const { client } = setup();
    cleanup.push(() => client.close());
    const result = await client.job(
      "count.up",
      { to: 3 },
      {
        onProgress: () => {
          throw new Error("careless listener");
        },
      },
    );
    expect(result).toEqual({ reached: 3 });
  });

  it("pushes signal values now and on every change, until unsubscribed", async () => {
    const { client, clock } = setup();
    cleanup.push(() => client.close());
    const ticks: number[] = [];
    const unsubscribe = client.subscribe("clock.now", {}, (v) => ticks.push(v.tick));
    await new Promise((resolve) => setTimeout(resolve, 10));
    clock.set({ tick: 1 });
    clock.set({ tick: 2 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 10));
    clock.set({ tick: 3 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ticks).toEqual([0, 1, 2]);
  });

  it("turns a handler's wrong result into a typed error instead of passing it on", async () => {
    const { client } = setup();
    cleanup.push(() => client.close());
    await expect(client.call("broken.result", {})).rejects.toMatchObject({
      code: "invalid_result",
      message: expect.stringContaining("broken.result"),
    });
  });

  it("turns a thrown handler error into error data", async () => {
    const { client } = setup({
      "math.add": () => {
        throw new AppError("not_found", "No such number.", "Pick another.");
      },
    });
    cleanup.push(() => client.close());
    await expect(client.call("math.add", { a: 1, b: 2 })).rejects.toMatchObject({
      code: "not_found",
      message: "No such number.",
      hint: "Pick another.",
    });
  });

  it("rejects pending calls when the connection closes", async () => {
    const { client } = setup({ "math.add": () => new Promise<number>(() => undefined) });
    const pending = client.call("math.add", { a: 1, b: 2 });
    client.close();
    await expect(pending).rejects.toMatchObject({ code: "transport_closed" });
  });
});
