import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import { FlakyServer } from "../../helpers/flakyServer.js";
import { makeTempDir } from "../../helpers/tempDir.js";
import { tinyModelBytes, unknownTypeModel } from "./testModels.js";

const runner = path.join(import.meta.dirname, "runCli.ts");
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `lowbit <args>` from source, in its own process, against the test hub. */
function lowbit(
  home: string,
  hubUrl: string,
  args: string[],
): { child: ChildProcess; done: Promise<Ran> } {
  const child = spawn(process.execPath, ["--import", "tsx", runner, "--home", home, ...args], {
    env: { ...process.env, LOWBIT_HUB_URL: hubUrl, LOWBIT_RESOURCES: path.join(home, "none") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Ran>((resolve) =>
    child.once("exit", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

const run = (home: string, hubUrl: string, args: string[]) => lowbit(home, hubUrl, args).done;

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error("timed out");
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("lowbit models pull and search", () => {
  let server: FlakyServer;
  let scratch: ReturnType<typeof makeTempDir>;
  let temp: ReturnType<typeof makeTempDir>;
  let q8: Buffer;
  let big: Buffer;

  beforeAll(async () => {
    server = await FlakyServer.start();
    scratch = makeTempDir("lowbit-cli-models-");
    q8 = await tinyModelBytes(scratch.dir, 21);
    big = await tinyModelBytes(scratch.dir, 22);
    server.addRepo("acme/Tiny-GGUF", [
      { path: "Tiny-Q4_K_M.gguf", bytes: await tinyModelBytes(scratch.dir, 20) },
      { path: "Tiny-Q8_0.gguf", bytes: q8 },
    ]);
    server.addRepo("acme/Future-GGUF", [
      { path: "future-Q4_0.gguf", bytes: await unknownTypeModel(scratch.dir) },
    ]);
  }, 60_000);
  afterAll(async () => {
    await server.close();
    scratch.cleanup();
  });
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  it("search lists a repo's GGUF files, as a table or one JSON object", async () => {
    const text = await run(temp.dir, server.url, ["models", "search", "hf:acme/Tiny-GGUF"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^acme\/Tiny-GGUF \(llama, [\d.]+ M parameters\): 2 GGUF files/);
    expect(text.stdout).toMatch(/Tiny-Q8_0\.gguf\s+Q8_0\s+1\.0 MiB\s+~16\.\d\d/);
    expect(text.stdout).toContain("Download one: lowbit models pull hf:acme/Tiny-GGUF/");
    const json = await run(temp.dir, server.url, ["--json", "models", "search", "acme/Tiny-GGUF"]);
    expect(json.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      repo: "acme/Tiny-GGUF",
      files: expect.any(Array),
    });
  }, 30_000);

  it("pull prints one JSON object: the model record plus verified: true", async () => {
    const ran = await run(temp.dir, server.url, [
      "--json",
      "models",
      "pull",
      "hf:acme/Tiny-GGUF:Q8_0",
      "--name",
      "Tiny Q8",
    ]);
    expect(ran.code).toBe(0);
    expect(ran.stdout.trim().split("\n")).toHaveLength(1);
    const model = JSON.parse(ran.stdout) as Record<string, unknown>;
    expect(model).toMatchObject({
      name: "Tiny Q8",
      verified: true,
      checksum: "hub",
      source: "downloaded",
      sha256: sha256(q8),
    });
    expect(readFileSync(model.path as string).equals(q8)).toBe(true);
    const list = await run(temp.dir, server.url, ["--json", "models", "list"]);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(1);
  }, 30_000);

  it("pull shows what it is about to download and its progress on stderr", async () => {
    const url = server.addFile("plain.gguf", { bytes: big });
    const ran = await run(temp.dir, server.url, ["models", "pull", url]);
    expect(ran.code).toBe(0);
    expect(ran.stderr).toMatch(/plain\.gguf: 1\.0 MiB, F16, 16\.\d\d bits\/weight, llama/);
    expect(ran.stderr).toMatch(/memory: (fits in memory|tight fit|does not fit) — about/);
    expect(ran.stderr).toMatch(/connecting 0% {2}0\.0 MiB \/ 1\.0 MiB/);
    expect(ran.stderr).toMatch(/downloaded and verified 1\.0 MiB \/ 1\.0 MiB/);
    expect(ran.stdout).toMatch(/^Downloaded .* checked as a GGUF \(no sha256 was published\)/);
  }, 30_000);

  it("pull refuses a wrong --sha256 and registers nothing", async () => {
    const url = server.addFile("checked.gguf", { bytes: big });
    const wrong = "ab".repeat(32);
    const ran = await run(temp.dir, server.url, [
      "--json",
      "models",
      "pull",
      url,
      "--sha256",
      wrong,
    ]);
    expect(ran.code).toBe(1);
    expect(JSON.parse(ran.stdout)).toMatchObject({
      error: {
        code: "checksum_mismatch",
        message: expect.stringContaining(`checksum mismatch: expected ${wrong} got ${sha256(big)}`),
      },
    });
    const list = await run(temp.dir, server.url, ["--json", "models", "list"]);
    expect(JSON.parse(list.stdout)).toEqual([]);
    const bad = await run(temp.dir, server.url, ["models", "pull", url, "--sha256", "xyz"]);
    expect(bad.stderr).toContain("--sha256 must be 64 hexadecimal characters");
  }, 30_000);

  it("pull warns about a file this runtime cannot load, before downloading it", async () => {
    const ran = await run(temp.dir, server.url, ["models", "pull", "hf:acme/Future-GGUF"]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/error: future-Q4_0\.gguf would not load here: .*ggml type 99/);
    expect(ran.stderr).toContain("Pass --force to download it anyway");
    expect(existsSync(path.join(temp.dir, "models", "future-Q4_0.gguf.partial"))).toBe(false);
  }, 30_000);

  it("a pull killed mid-way continues from its partial file when run again", async () => {
    const url = server.addFile("crash.gguf", { bytes: big, bytesPerSecond: 400_000 });
    const partial = path.join(temp.dir, "models", "crash.gguf.partial");
    const first = lowbit(temp.dir, server.url, ["models", "pull", url]);
    await until(() => existsSync(partial) && statSync(partial).size > big.length * 0.3);
    first.child.kill("SIGKILL");
    await first.done;
    const had = statSync(partial).size;
    expect(had).toBeLessThan(big.length);
    const sentBefore = server.bytesSent("/files/crash.gguf");

    server.setBehaviour("crash.gguf", { bytesPerSecond: undefined });
    const again = await run(temp.dir, server.url, ["--json", "models", "pull", url]);
    expect(again.code).toBe(0);
    const model = JSON.parse(again.stdout) as { path: string; verified: boolean };
    expect(model.verified).toBe(true);
    expect(readFileSync(model.path).equals(big)).toBe(true);
    const resumed = server
      .requests("/files/crash.gguf")
      .filter((r) => r.range?.startsWith("bytes=") && r.range !== "bytes=0-0");
    expect(resumed.at(-1)?.range).toBe(`bytes=${had}-`);
    // Only the missing bytes came over again, besides the header read ahead and a size probe.
    const extra = server.bytesSent("/files/crash.gguf") - sentBefore - (big.length - had);
    expect(extra).toBeGreaterThanOrEqual(0);
    expect(extra).toBeLessThan(300_000);
  }, 60_000);

  it("Ctrl-C pauses a pull; the same command continues it", async () => {
    const url = server.addFile("interrupt.gguf", { bytes: big, bytesPerSecond: 400_000 });
    const partial = path.join(temp.dir, "models", "interrupt.gguf.partial");
    const first = lowbit(temp.dir, server.url, ["models", "pull", url]);
    await until(() => existsSync(partial) && statSync(partial).size > 100_000);
    first.child.kill("SIGINT");
    const stopped = await first.done;
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/Paused at [\d.]+ (KiB|MiB) of 1\.0 MiB; the data is kept\./);
    expect(stopped.stderr).toContain(`Run the same command to continue: lowbit models pull ${url}`);
    server.setBehaviour("interrupt.gguf", { bytesPerSecond: undefined });
    const again = await run(temp.dir, server.url, ["models", "pull", url]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/Continuing from [\d.]+ (KiB|MiB) already downloaded/);
  }, 60_000);
});
