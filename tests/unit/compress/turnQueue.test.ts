import { describe, expect, it } from "vitest";
import { TurnQueue } from "../../../src-main/services/compress/turnQueue.js";

describe("one quantization at a time", () => {
  it("hands turns out in arrival order", async () => {
    const queue = new TurnQueue();
    const order: string[] = [];
    const first = await queue.acquire();
    const second = queue.acquire().then((release) => {
      order.push("second");
      return release;
    });
    const third = queue.acquire().then((release) => {
      order.push("third");
      release();
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([]);
    first();
    (await second)();
    await third;
    expect(order).toEqual(["second", "third"]);
  });

  it("lets a waiting job leave the queue when it is cancelled, without blocking the next", async () => {
    const queue = new TurnQueue();
    const release = await queue.acquire();
    const stop = new AbortController();
    const cancelled = queue.acquire(stop.signal);
    const next = queue.acquire();
    stop.abort();
    await expect(cancelled).rejects.toMatchObject({ code: "cancelled" });
    release();
    (await next)();
    (await queue.acquire())();
  });

  it("releasing twice frees only one turn", async () => {
    const queue = new TurnQueue();
    const release = await queue.acquire();
    const b = queue.acquire();
    const c = queue.acquire();
    release();
    release();
    await b;
    const state = await Promise.race([
      c.then(() => "c ran"),
      new Promise((r) => setTimeout(() => r("c waits"), 20)),
    ]);
    expect(state).toBe("c waits");
  });
});
