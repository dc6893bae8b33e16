import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Lowbit } from "../../../src-main/services/lowbit.js";
import { FlakyServer, randomDrops } from "../../helpers/flakyServer.js";
import { makeTempDir } from "../../helpers/tempDir.js";
import { openApp, partials } from "./serviceHarness.js";
import { splitTinyModel, tinyModelBytes, unknownTypeModel } from "./testModels.js";

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("downloads from a Hugging Face repo", () => {
  let server: FlakyServer;
  let scratch: ReturnType<typeof makeTempDir>;
  let temp: ReturnType<typeof makeTempDir>;
  let app: Lowbit;
  let small: Buffer;
  let split: { whole: Buffer; parts: Buffer[] };

  beforeAll(async () => {
    server = await FlakyServer.start();
    scratch = makeTempDir("lowbit-hub-models-");
    small = await tinyModelBytes(scratch.dir, 1);
    split = await splitTinyModel(scratch.dir, 7);
    server.addRepo(
      "acme/Tiny-GGUF",
      [
        { path: "Tiny-Q4_K_M.gguf", bytes: small },
        { path: "Tiny-Q8_0.gguf", bytes: await tinyModelBytes(scratch.dir, 2) },
        { path: "mmproj-Tiny-F16.gguf", bytes: await tinyModelBytes(scratch.dir, 3) },
        { path: "F16/Tiny-F16-00001-of-00002.gguf", bytes: split.parts[0]! },
        { path: "F16/Tiny-F16-00002-of-00002.gguf", bytes: split.parts[1]! },
      ],
      { pageSize: 2 },
    );
    server.addRepo("acme/One-GGUF", [
      {
        path: "one.Q5_K_S.gguf",
        bytes: await tinyModelBytes(scratch.dir, 4),
        dropAfter: randomDrops(9, 0.7),
      },
    ]);
    server.addRepo("acme/Tampered-GGUF", [
      { path: "bad-Q8_0.gguf", bytes: await tinyModelBytes(scratch.dir, 5), wrongBytes: true },
    ]);
    server.addRepo("acme/Future-GGUF", [
      { path: "future-Q4_0.gguf", bytes: await unknownTypeModel(scratch.dir) },
    ]);
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

  it("lists a repo's GGUF models with quant names, sizes, bits per weight and sha256", async () => {
    const listing = await app.downloads.search("hf:acme/Tiny-GGUF");
    expect(listing).toMatchObject({
      repo: "acme/Tiny-GGUF",
      revision: "main",
      url: `${server.url}/acme/Tiny-GGUF`,
      arch: "llama",
    });
    expect(listing.params).toBeGreaterThan(100_000);
    const byName = new Map(listing.files.map((f) => [f.fileName, f]));
    expect([...byName.keys()]).toEqual([
      "Tiny-Q4_K_M.gguf",
      "Tiny-Q8_0.gguf",
      "Tiny-F16-00001-of-00002.gguf",
      "mmproj-Tiny-F16.gguf",
    ]);
    expect(byName.get("Tiny-Q4_K_M.gguf")).toMatchObject({
      source: "hf:acme/Tiny-GGUF/Tiny-Q4_K_M.gguf",
      quant: "Q4_K_M",
      parts: 1,
      sizeBytes: small.length,
      sha256: sha256(small),
    });
    // The files are F16 whatever their names say: bits per weight tells.
    expect(byName.get("Tiny-Q4_K_M.gguf")!.bpw).toBeCloseTo(16, 0);
    expect(byName.get("Tiny-F16-00001-of-00002.gguf")).toMatchObject({
      path: "F16/Tiny-F16-00001-of-00002.gguf",
      parts: 2,
      quant: "F16",
      sizeBytes: split.parts[0]!.length + split.parts[1]!.length,
      sha256: null,
    });
    expect(byName.get("mmproj-Tiny-F16.gguf")!.bpw).toBeNull();
    // The tree listing came in pages of two, and every page was read.
    expect(server.requests("/api/models/acme/Tiny-GGUF/tree/main").length).toBeGreaterThan(3);
  });

  it("pulls the file a quant names, checked against the hub's sha256", async () => {
    const record = await app.downloads.add({ source: "hf:acme/Tiny-GGUF:q4_k_m" });
    expect(record).toMatchObject({
      source: "hf:acme/Tiny-GGUF/Tiny-Q4_K_M.gguf",
      title: "Tiny-Q4_K_M.gguf",
      checksum: "hub",
      totalBytes: small.length,
    });
    const model = await app.downloads.waitFor(record.id);
    expect(model).toMatchObject({ verified: true, checksum: "hub", sha256: sha256(small) });
    expect(model.path).toBe(path.join(temp.dir, "models", "Tiny-Q4_K_M.gguf"));
    // Downloads go through the resolve URL, which redirects to the CDN.
    expect(server.requests("/acme/Tiny-GGUF/resolve/main/Tiny-Q4_K_M.gguf").length).toBeGreaterThan(
      0,
    );
    expect(server.bytesSent("/cdn/acme/Tiny-GGUF/Tiny-Q4_K_M.gguf")).toBeGreaterThanOrEqual(
      small.length,
    );
  });

  it("asks which file when a repo holds several, and takes the only one when it does not", async () => {
    await expect(app.downloads.add({ source: "hf:acme/Tiny-GGUF" })).rejects.toMatchObject({
      code: "invalid_params",
      message: "hf:acme/Tiny-GGUF has 3 GGUF models; pick one.",
      hint: expect.stringContaining("Tiny-Q8_0.gguf"),
    });
    await expect(app.downloads.add({ source: "hf:acme/Tiny-GGUF:Q2_K" })).rejects.toMatchObject({
      code: "not_found",
      hint: "It has: F16, Q4_K_M, Q8_0. Pick one, e.g. hf:acme/Tiny-GGUF:F16",
    });
    const one = await app.downloads.add({ source: "acme/One-GGUF" });
    expect(one.source).toBe("hf:acme/One-GGUF/one.Q5_K_S.gguf");
    const model = await app.downloads.waitFor(one.id);
    expect(model.checksum).toBe("hub");
  });

  it("downloads a split model as a set and registers it once, at its first part", async () => {
    const record = await app.downloads.add({
      source: `${server.url}/acme/Tiny-GGUF/blob/main/F16/Tiny-F16-00002-of-00002.gguf`,
    });
    expect(record.source).toBe("hf:acme/Tiny-GGUF/F16/Tiny-F16-00001-of-00002.gguf");
    expect(record.files.map((f) => f.fileName)).toEqual([
      "Tiny-F16-00001-of-00002.gguf",
      "Tiny-F16-00002-of-00002.gguf",
    ]);
    const model = await app.downloads.waitFor(record.id);
    const models = path.join(temp.dir, "models");
    expect(model.path).toBe(path.join(models, "Tiny-F16-00001-of-00002.gguf"));
    expect(
      readFileSync(path.join(models, "Tiny-F16-00002-of-00002.gguf")).equals(split.parts[1]!),
    ).toBe(true);
    expect(model.sizeBytes).toBe(split.parts[0]!.length + split.parts[1]!.length);
    // Every tensor of the whole model counts, not only those of the first part.
    const whole = await app.library.inspect(path.join(scratch.dir, "whole-7.gguf"));
    expect(model.params).toBe(whole.params);
    expect(app.library.list()).toHaveLength(1);
    await app.library.remove(model.id, true);
    expect(existsSync(path.join(models, "Tiny-F16-00002-of-00002.gguf"))).toBe(false);
  });

  it("refuses bytes that do not match the hub's sha256 (X-Linked-Etag)", async () => {
    const record = await app.downloads.add({ source: "hf:acme/Tampered-GGUF/bad-Q8_0.gguf" });
    expect(record.checksum).toBe("hub");
    await expect(app.downloads.waitFor(record.id)).rejects.toMatchObject({
      code: "checksum_mismatch",
      message: expect.stringMatching(/^checksum mismatch: expected [0-9a-f]{64} got [0-9a-f]{64}/),
    });
    expect(app.library.list()).toEqual([]);
    expect(partials(temp.dir)).toEqual([]);
  });

  it("refuses a user sha256 that contradicts the hub's, before downloading", async () => {
    await expect(
      app.downloads.add({ source: "hf:acme/Tiny-GGUF/Tiny-Q8_0.gguf", sha256: "0".repeat(64) }),
    ).rejects.toMatchObject({
      code: "checksum_mismatch",
      message: expect.stringContaining("not the one the hub publishes"),
    });
    expect(app.downloads.list()).toEqual([]);
  });

  it("names a missing repo or file plainly", async () => {
    await expect(app.downloads.search("hf:acme/Nothing-GGUF")).rejects.toMatchObject({
      code: "not_found",
      message: expect.stringContaining("There is no model repo “acme/Nothing-GGUF”"),
    });
    await expect(
      app.downloads.add({ source: "hf:acme/Tiny-GGUF/nope.gguf" }),
    ).rejects.toMatchObject({
      code: "not_found",
      message: expect.stringContaining("has no file nope.gguf"),
    });
  });

  it("checks before downloading: size, quant, bits per weight and memory fit", async () => {
    const check = await app.downloads.check("hf:acme/Tiny-GGUF/Tiny-Q8_0.gguf");
    expect(check).toMatchObject({
      title: "Tiny-Q8_0.gguf",
      quant: "Q8_0",
      fileType: "F16",
      arch: "llama",
      checksum: "hub",
      canLoad: true,
      problems: [],
    });
    expect(check.bpw).toBeGreaterThan(15);
    expect(check.memory).toMatchObject({ kvType: "f16", contextSize: 512, verdict: "fits" });
    expect(check.memory!.kvBytes).toBe(1 * 512 * 2 * (64 + 64) * 2);
    // Only the header was read, not the whole file.
    expect(server.bytesSent("/cdn/acme/Tiny-GGUF/Tiny-Q8_0.gguf")).toBeLessThan(5 * 2 ** 20);
  });

  it("warns before downloading a file this runtime cannot load", async () => {
    const check = await app.downloads.check("hf:acme/Future-GGUF");
    expect(check.canLoad).toBe(false);
    expect(check.problems).toEqual([
      {
        severity: "error",
        message: expect.stringMatching(
          /^This runtime cannot load it: tensor 'blk\.0\.attn_q\.weight' uses ggml type 99/,
        ),
      },
    ]);
  });

  it("says when a model will not fit in memory", async () => {
    app.close();
    app = await openApp(temp.dir, server.url, {
      memory: () => ({ availableBytes: 1_000_000, machineBytes: 1_500_000 }),
    });
    const check = await app.downloads.check("hf:acme/Tiny-GGUF/Tiny-Q8_0.gguf");
    expect(check.memory?.verdict).toBe("no");
    expect(check.problems[0]?.message).toMatch(
      /needs about .* of memory; this machine has 1\.5 MB/,
    );
    expect(check.canLoad).toBe(true);
  });
});
