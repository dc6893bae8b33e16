import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Lowbit } from "../../../src-main/services/lowbit.js";
import type { PartWriter } from "../../../src-main/services/downloads/partWriter.js";
import { openFileWriter } from "../../../src-main/services/downloads/partWriter.js";
import { FlakyServer, randomDrops } from "../../helpers/flakyServer.js";
import { makeTempDir } from "../../helpers/tempDir.js";
import { openApp, partials, waitForRecord } from "./serviceHarness.js";
import { tinyModelBytes } from "./testModels.js";

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("downloads from a URL", () => {
  let server: FlakyServer;
  let scratch: ReturnType<typeof makeTempDir>;
  let temp: ReturnType<typeof makeTempDir>;
  let app: Lowbit;
  const models: Buffer[] = [];

  beforeAll(async () => {
    server = await FlakyServer.start();
    scratch = makeTempDir("lowbit-dl-models-");
    for (let seed = 1; seed <= 20; seed++) {
      models.push(await tinyModelBytes(scratch.dir, seed));
    }
  }, 60_000);
  afterAll(async () => {
    await server.close();
    scratch.cleanup();
  });
  beforeEach(async () => {
    temp = makeTempDir();
    app = await openApp(temp.dir, server.url);
  });
  afterEach(() => {
    app.close();
    temp.cleanup();
  });

  it("finishes and verifies 20 downloads through random connection drops", async () => {
    app.settings.set({ "downloads.concurrency": 4 });
    const ids: string[] = [];
    for (const [i, bytes] of models.entries()) {
      const url = server.addFile(`drop-${i}.gguf`, {
        bytes,
        dropAfter: randomDrops(1000 + i, 0.6),
      });
      ids.push((await app.downloads.add({ source: url, sha256: sha256(bytes) })).id);
    }
    const done = await Promise.all(ids.map((id) => app.downloads.waitFor(id)));
    expect(done.map((m) => m.sha256)).toEqual(models.map(sha256));
    expect(done.every((m) => m.verified && m.checksum === "user")).toBe(true);
    for (const [i, model] of done.entries()) {
      expect(readFileSync(model.path).equals(models[i]!)).toBe(true);
      expect(model.source).toBe("downloaded");
    }
    expect(app.library.list()).toHaveLength(20);
    expect(partials(temp.dir)).toEqual([]);
    // The drops really happened, and resuming asked only for what was missing.
    const resumed = server.log.filter((l) => l.path.startsWith("/files/drop-") && l.range !== null);
    expect(resumed.length).toBeGreaterThan(10);
    expect(resumed.every((l) => l.status === 206)).toBe(true);
  }, 60_000);

  it("resumes after a restart without fetching again what it had", async () => {
    const bytes = models[0]!;
    const url = server.addFile("slow.gguf", { bytes, bytesPerSecond: 2_000_000 });
    const added = await app.downloads.add({ source: url });
    const partway = await waitForRecord(app, added.id, (d) => d.receivedBytes > bytes.length * 0.3);
    expect(partway.state).toBe("downloading");
    app.close();
    await app.downloads.stopped();
    const had = readFileSync(path.join(temp.dir, "models", "slow.gguf.partial")).length;
    expect(had).toBeGreaterThan(0);
    expect(had).toBeLessThan(bytes.length);
    const sentBefore = server.bytesSent("/files/slow.gguf");

    server.setBehaviour("slow.gguf", { bytesPerSecond: undefined });
    app = await openApp(temp.dir, server.url);
    const model = await app.downloads.waitFor(added.id);
    expect(readFileSync(model.path).equals(bytes)).toBe(true);
    const resumed = server.requests("/files/slow.gguf").at(-1)!;
    expect(resumed.range).toBe(`bytes=${had}-`);
    expect(resumed.ifRange).not.toBeNull();
    expect(server.bytesSent("/files/slow.gguf") - sentBefore).toBe(bytes.length - had);
  });

  it("refuses a wrong checksum, deletes the data and registers nothing", async () => {
    const bytes = models[1]!;
    const url = server.addFile("tampered.gguf", { bytes, wrongBytes: true });
    const added = await app.downloads.add({ source: url, sha256: sha256(bytes) });
    const error = await app.downloads.waitFor(added.id).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "checksum_mismatch",
      message: expect.stringContaining(`checksum mismatch: expected ${sha256(bytes)} got `),
    });
    expect(app.library.list()).toEqual([]);
    expect(partials(temp.dir)).toEqual([]);
    expect(existsSync(path.join(temp.dir, "models", "tampered.gguf"))).toBe(false);
    expect(app.downloads.get(added.id)).toMatchObject({ state: "failed" });

    // Fixed on the server: Retry fetches it again from the start and it verifies.
    server.setBehaviour("tampered.gguf", { wrongBytes: false });
    await app.downloads.resume(added.id);
    const model = await app.downloads.waitFor(added.id);
    expect(model.sha256).toBe(sha256(bytes));
  });

  it("fails cleanly when the disk fills up, and continues once there is room", async () => {
    app.close();
    let room = 300_000;
    const fillingWriter = async (file: string, offset: number): Promise<PartWriter> => {
      const real = await openFileWriter(file, offset);
      let written = offset;
      return {
        async write(chunk) {
          if (written + chunk.length > room) {
            // As a real disk does: what fits is written, then the write fails.
            await real.write(chunk.subarray(0, Math.max(0, room - written)));
            written = room;
            const error = new Error(
              "ENOSPC: no space left on device, write",
            ) as NodeJS.ErrnoException;
            error.code = "ENOSPC";
            throw error;
          }
          await real.write(chunk);
          written += chunk.length;
        },
        close: (durable) => real.close(durable),
      };
    };
    app = await openApp(temp.dir, server.url, { openWriter: fillingWriter });
    const bytes = models[2]!;
    const url = server.addFile("big.gguf", { bytes });
    const added = await app.downloads.add({ source: url });
    const error = await app.downloads.waitFor(added.id).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "disk_full",
      message: expect.stringMatching(/disk filled up while downloading big\.gguf/),
    });
    expect(app.library.list()).toEqual([]);
    expect(app.downloads.get(added.id).state).toBe("failed");
    // What reached the disk is kept (the hint says so), so a retry continues from it.
    const kept = readFileSync(path.join(temp.dir, "models", "big.gguf.partial")).length;
    expect(kept).toBe(300_000);

    room = Infinity;
    await app.downloads.resume(added.id);
    const model = await app.downloads.waitFor(added.id);
    expect(readFileSync(model.path).equals(bytes)).toBe(true);
    expect(server.requests("/files/big.gguf").at(-1)?.range).toBe(`bytes=${kept}-`);
  });

  it("refuses to start a download the disk cannot hold", async () => {
    app.close();
    app = await openApp(temp.dir, server.url, { freeBytes: async () => 100_000 });
    const url = server.addFile("nospace.gguf", { bytes: models[3]! });
    await expect(app.downloads.add({ source: url })).rejects.toMatchObject({
      code: "disk_full",
      message: expect.stringMatching(/Not enough disk space for nospace\.gguf: it needs 1\.\d MB/),
    });
    expect(app.downloads.list()).toEqual([]);
    expect(server.bytesSent("/files/nospace.gguf")).toBeLessThanOrEqual(1);
  });

  it("cancel stops a download and removes its partial file", async () => {
    const url = server.addFile("cancel.gguf", { bytes: models[4]!, bytesPerSecond: 500_000 });
    const added = await app.downloads.add({ source: url });
    await waitForRecord(app, added.id, (d) => d.receivedBytes > 50_000);
    expect(partials(temp.dir)).toEqual(["cancel.gguf.partial"]);
    const cancelled = await app.downloads.cancel(added.id);
    expect(cancelled.state).toBe("cancelled");
    expect(partials(temp.dir)).toEqual([]);
    expect(app.library.list()).toEqual([]);
    expect(await app.downloads.clear(added.id)).toEqual({ removed: true });
    expect(app.downloads.list()).toEqual([]);
  });

  it("pauses, keeps the data, and resumes where it stopped", async () => {
    const bytes = models[5]!;
    const url = server.addFile("pause.gguf", { bytes, bytesPerSecond: 1_000_000 });
    const added = await app.downloads.add({ source: url });
    await waitForRecord(app, added.id, (d) => d.receivedBytes > 100_000);
    const paused = await app.downloads.pause(added.id);
    expect(paused).toMatchObject({ state: "paused", bytesPerSecond: null });
    const kept = readFileSync(path.join(temp.dir, "models", "pause.gguf.partial")).length;
    expect(paused.receivedBytes).toBe(kept);
    server.setBehaviour("pause.gguf", { bytesPerSecond: undefined });
    await app.downloads.resume(added.id);
    const model = await app.downloads.waitFor(added.id);
    expect(readFileSync(model.path).equals(bytes)).toBe(true);
    expect(server.requests("/files/pause.gguf").at(-1)?.range).toBe(`bytes=${kept}-`);
  });

  it("runs downloads.concurrency at a time and queues the rest", async () => {
    app.settings.set({ "downloads.concurrency": 2 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      // Each first transfer stalls (request 0 is the size probe) until the test has looked.
      const url = server.addFile(`queue-${i}.gguf`, {
        bytes: models[6 + i]!,
        stallAfter: (n) => (n === 1 ? 50_000 : null),
      });
      ids.push((await app.downloads.add({ source: url })).id);
    }
    await waitForRecord(app, ids[1]!, (d) => d.receivedBytes > 0);
    const states = app.downloads.list().map((d) => d.state);
    expect(states.filter((s) => s === "downloading" || s === "connecting")).toHaveLength(2);
    expect(states[2]).toBe("queued");
    await Promise.all(ids.map((id) => app.downloads.waitFor(id)));
    expect(app.library.list()).toHaveLength(3);
  });

  it("shows rate and ETA while downloading, and retries a stalled transfer", async () => {
    const bytes = models[9]!;
    const url = server.addFile("stall.gguf", {
      bytes,
      bytesPerSecond: 1_000_000,
      // Request 0 is the size probe at add(); the first transfer stalls.
      stallAfter: (n) => (n === 1 ? 400_000 : null),
    });
    const added = await app.downloads.add({ source: url });
    const moving = await waitForRecord(
      app,
      added.id,
      (d) => d.bytesPerSecond !== null && d.bytesPerSecond > 0 && d.etaSeconds !== null,
    );
    expect(moving.totalBytes).toBe(bytes.length);
    const retrying = await waitForRecord(app, added.id, (d) => d.state === "retrying");
    expect(retrying.detail).toMatch(/no data for/);
    expect(retrying.retryInSeconds).not.toBeNull();
    const model = await app.downloads.waitFor(added.id);
    expect(model.sha256).toBe(sha256(bytes));
  });

  it("retries 5xx answers, follows redirects, and starts over when Range is ignored", async () => {
    const bytes = models[10]!;
    server.addFile("busy.gguf", { bytes, failTimes: 3, failStatus: 503, retryAfter: "0" });
    const busy = await app.downloads.add({ source: `${server.url}/redirect/busy.gguf` });
    expect((await app.downloads.waitFor(busy.id)).sha256).toBe(sha256(bytes));

    const other = models[11]!;
    const url = server.addFile("norange.gguf", {
      bytes: other,
      ignoreRange: true,
      bytesPerSecond: 4_000_000,
      // Request 0 is the size probe at add(); 1 and 2 are dropped half-way.
      dropAfter: (n, length) => (n >= 1 && n <= 2 ? Math.floor(length / 2) : null),
    });
    const added = await app.downloads.add({ source: url });
    const restarted = await waitForRecord(
      app,
      added.id,
      (d) => d.detail?.includes("started again from the beginning") === true,
    );
    expect(restarted.detail).toMatch(/server cannot resume/);
    const model = await app.downloads.waitFor(added.id);
    expect(readFileSync(model.path).equals(other)).toBe(true);
  });

  it("starts over when the file changed on the server between tries", async () => {
    const url = server.addFile("changing.gguf", { bytes: models[12]!, bytesPerSecond: 1_000_000 });
    const added = await app.downloads.add({ source: url });
    await waitForRecord(app, added.id, (d) => d.receivedBytes >= 300_000);
    await app.downloads.pause(added.id);
    server.replaceFile("changing.gguf", models[13]!);
    server.setBehaviour("changing.gguf", { bytesPerSecond: undefined });
    await app.downloads.resume(added.id);
    const model = await app.downloads.waitFor(added.id);
    expect(readFileSync(model.path).equals(models[13]!)).toBe(true);
    const lastTry = server.requests("/files/changing.gguf").at(-1)!;
    expect(lastTry.status).toBe(200);
  });

  it("never overwrites a file that took its name while it downloaded", async () => {
    const url = server.addFile("taken.gguf", { bytes: models[15]!, bytesPerSecond: 1_000_000 });
    const added = await app.downloads.add({ source: url });
    await waitForRecord(app, added.id, (d) => d.receivedBytes > 0);
    const theirs = path.join(temp.dir, "models", "taken.gguf");
    writeFileSync(theirs, "someone else's file");
    const model = await app.downloads.waitFor(added.id);
    expect(model.path).toBe(path.join(temp.dir, "models", "taken-1.gguf"));
    expect(readFileSync(theirs, "utf8")).toBe("someone else's file");
  });

  it("takes over a download whose process died while the queue runs", async () => {
    const bytes = models[16]!;
    const url = server.addFile("orphan.gguf", { bytes });
    const added = await app.downloads.add({ source: url });
    await app.downloads.pause(added.id);
    // Another live process runs it: only that process may pause or cancel it.
    app.db
      .prepare("UPDATE downloads SET state = 'running', owner_pid = ? WHERE id = ?")
      .run(process.ppid, added.id);
    await expect(app.downloads.cancel(added.id)).rejects.toMatchObject({
      code: "busy",
      message: expect.stringContaining("runs in another Lowbit process"),
    });
    expect(app.downloads.get(added.id).detail).toBe("downloading in another Lowbit process");
    // As if `lowbit models pull` had claimed it and then been killed.
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    app.db
      .prepare("UPDATE downloads SET state = 'running', owner_pid = ? WHERE id = ?")
      .run(dead, added.id);
    const model = await app.downloads.waitFor(added.id);
    expect(readFileSync(model.path).equals(bytes)).toBe(true);
  });

  it("says what is wrong with a bad address, before queueing anything", async () => {
    await expect(
      app.downloads.add({ source: `${server.url}/files/missing.gguf` }),
    ).rejects.toMatchObject({ code: "not_found", message: expect.stringMatching(/HTTP 404/) });
    await expect(app.downloads.add({ source: "ftp://example.com/x.gguf" })).rejects.toMatchObject({
      code: "invalid_params",
    });
    const closed = await FlakyServer.start();
    await closed.close();
    await expect(app.downloads.add({ source: `${closed.url}/x.gguf` })).rejects.toMatchObject({
      code: "network_error",
      message: expect.stringMatching(/refused/),
    });
    expect(app.downloads.list()).toEqual([]);
  });

  it("refuses a file that is not a usable GGUF and keeps nothing", async () => {
    const url = server.addFile("page.gguf", { bytes: Buffer.from("<!doctype html><p>hi</p>") });
    const added = await app.downloads.add({ source: url });
    await expect(app.downloads.waitFor(added.id)).rejects.toMatchObject({
      code: "bad_model_file",
    });
    expect(app.library.list()).toEqual([]);
    expect(partials(temp.dir)).toEqual([]);
  });

  it("adding the same source again follows the unfinished download instead of a second one", async () => {
    const url = server.addFile("twice.gguf", { bytes: models[14]!, bytesPerSecond: 500_000 });
    const first = await app.downloads.add({ source: url });
    await app.downloads.pause(first.id);
    const again = await app.downloads.add({ source: url });
    expect(again.id).toBe(first.id);
    expect(app.downloads.list()).toHaveLength(1);
    server.setBehaviour("twice.gguf", { bytesPerSecond: undefined });
    await app.downloads.waitFor(first.id);
    // And once it is in the library, the hub-less URL download of the same bytes says so.
    const copy = server.addFile("twice-copy.gguf", { bytes: models[14]! });
    const dup = await app.downloads.add({ source: copy });
    const model = await app.downloads.waitFor(dup.id);
    expect(model.id).toBe(app.library.list()[0]!.id);
    expect(app.library.list()).toHaveLength(1);
    expect(partials(temp.dir)).toEqual([]);
  });
});
