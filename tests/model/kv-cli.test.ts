import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../helpers/tempDir.js";

/** `lowbit chat` with KV flags, as a process of its own, the way a user runs it. */
function lowbit(home: string, args: string[]) {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "tests/helpers/lowbitCli.ts", "--home", home, "--json", ...args],
    { encoding: "utf8", timeout: 120_000 },
  );
  const line = run.stdout.trim().split("\n").at(-1) ?? "";
  return {
    status: run.status,
    json: JSON.parse(line) as Record<string, unknown>,
    stdout: run.stdout,
  };
}

describe("lowbit chat with KV flags", () => {
  const temp = makeTempDir();
  afterAll(() => temp.cleanup());

  it("prints exactly one JSON object with the KV settings and the memory it measured", () => {
    const run = lowbit(temp.dir, [
      "chat",
      "Lowbit Starter 18M",
      "--prompt",
      "The old house on the hill",
      "--max-tokens",
      "8",
      "--temp",
      "0",
      "--ctx",
      "512",
      "--kv-k",
      "q8_0",
      "--kv-v",
      "q4_0",
      "--fa",
      "auto",
      "--evict",
      "window",
      "--sinks",
      "4",
      "--window",
      "200",
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split("\n")).toHaveLength(1);
    expect(run.json).toMatchObject({
      tokens: 8,
      kv: {
        k: "q8_0",
        v: "q4_0",
        fa: "auto",
        faActive: true,
        evict: { policy: "window", sinks: 4, window: 200 },
      },
    });
    const memory = run.json.memory as Record<string, number>;
    expect(memory.kvBytes).toBe(512 * 6 * 128 * ((34 + 18) / 32));
    expect(memory.weightsBytes).toBeGreaterThan(30e6);
    expect(memory.computeBytes).toBeGreaterThan(0);
    expect(memory.rssBytes).toBeGreaterThan(memory.weightsBytes! / 2);
    expect(memory.vramBytes).toBe(0);
  });

  it("refuses a bad type and a quantized V without flash attention, saying what to do", () => {
    const badType = lowbit(temp.dir, [
      "chat",
      "Lowbit Starter 18M",
      "--prompt",
      "Hi",
      "--kv-k",
      "q3_k",
    ]);
    expect(badType.status).toBe(1);
    expect(badType.json).toMatchObject({
      error: {
        code: "invalid_params",
        message: expect.stringMatching(/--kv-k must be one of f16, q8_0/),
      },
    });
    const noFa = lowbit(temp.dir, [
      "chat",
      "Lowbit Starter 18M",
      "--prompt",
      "Hi",
      "--kv-v",
      "q8_0",
      "--fa",
      "off",
    ]);
    expect(noFa.json).toMatchObject({
      error: { message: expect.stringMatching(/quantized V cache needs flash attention/) },
    });
  });
});
