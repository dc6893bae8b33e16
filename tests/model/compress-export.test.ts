import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model, Run } from "../../src-main/contract/index.js";
import { readGgufFile } from "../../src-main/services/gguf/ggufReader.js";
import { openHarness, type Harness } from "../helpers/appHarness.js";
import { makeTempDir } from "../helpers/tempDir.js";

/**
 * Exports carry their provenance: the lowbit.* keys read back as written, the tensors are the
 * library copy's byte for byte, the .sha256 file checks out, and nothing is overwritten unasked.
 */
let h: Harness;
let made: { model: Model; run: Run };
const out = makeTempDir("lowbit-export-");

beforeAll(async () => {
  h = await openHarness("memory", { registerStarterModel: true });
  const starter = h.app.library.list().find((m) => m.source === "bundled")!;
  made = await h.app.compress.quantize({
    modelId: starter.id,
    level: "Q3_K_S",
    imatrix: "on",
    imatrixChunks: 2,
    threads: 1,
    allowRequantize: false,
  });
}, 120_000);
afterAll(async () => {
  await h?.close();
  out.cleanup();
});

describe("exporting a quantized model", () => {
  it("writes the model with lowbit.* provenance that reads back as written", async () => {
    const target = path.join(out.dir, "starter-q3.gguf");
    const phases = new Set<string>();
    const result = await h.app.compress.export(
      { runId: made.run.id, path: target, overwrite: false },
      { progress: (p) => phases.add(p.phase) },
    );
    expect([...phases]).toEqual(["writing", "hashing"]);
    expect(result.path).toBe(target);
    const file = await readGgufFile(target);
    // Every key written reads back with its value (f32 numbers to about 7 digits).
    for (const [key, value] of Object.entries(result.provenance)) {
      const stored = file.metadata.get(key)?.value;
      if (typeof value === "number" && !Number.isInteger(value)) {
        expect(stored, key).toBeCloseTo(value, 4);
      } else {
        expect(stored, key).toBe(value);
      }
    }
    expect(result.provenance).toMatchObject({
      "lowbit.source.name": "Lowbit Starter 18M",
      "lowbit.source.sha256": made.run.sourceSha256,
      "lowbit.level": "Q3_K_S",
      "lowbit.imatrix": true,
      "lowbit.imatrix.dataset": "lowbit-starter/brown-calib.txt",
      "lowbit.imatrix.text_sha256": made.run.imatrixTextSha256,
      "lowbit.run_id": made.run.id,
      "lowbit.tool_version": expect.stringMatching(/^lowbit \d+\.\d+\.\d+; llama\.cpp /),
    });
    expect(result.provenance["lowbit.bpw"]).toBeCloseTo(made.run.bpw!, 3);
    // The quantizer's own record of the calibration is still there.
    expect(file.metadata.get("quantize.imatrix.dataset")?.value).toBe(
      "lowbit-starter/brown-calib.txt",
    );
  });

  it("keeps every tensor byte for byte", async () => {
    const target = path.join(out.dir, "starter-q3.gguf");
    const [copy, original] = await Promise.all([
      readGgufFile(target),
      readGgufFile(made.model.path),
    ]);
    expect(copy.tensors.map((t) => [t.name, t.type.name, t.dims])).toEqual(
      original.tensors.map((t) => [t.name, t.type.name, t.dims]),
    );
    expect(await dataHash(target, copy.dataOffset)).toBe(
      await dataHash(made.model.path, original.dataOffset),
    );
  });

  it("writes a .sha256 file that matches and a card that says how the model was made", () => {
    const target = path.join(out.dir, "starter-q3.gguf");
    const sha = createHash("sha256").update(readFileSync(target)).digest("hex");
    expect(readFileSync(`${target}.sha256`, "utf8")).toBe(`${sha}  starter-q3.gguf\n`);
    const card = readFileSync(path.join(out.dir, "starter-q3.md"), "utf8");
    expect(card).toContain("# Lowbit Starter 18M Q3_K_S");
    expect(card).toContain("| Level | Q3_K_S |");
    expect(card).toContain(made.run.sourceSha256);
    expect(card).toContain("importance matrix from lowbit-starter/brown-calib.txt");
    expect(card).toContain(sha);
  });

  it("carries what the model was measured to cost, once it has been measured", async () => {
    const measured = await h.app.evaluate.evaluate({
      modelId: made.model.id,
      chunks: 2,
      threads: 1,
      force: false,
    });
    const m = measured.metrics!;
    const target = path.join(out.dir, "starter-q3-measured.gguf");
    const result = await h.app.compress.export({
      runId: made.run.id,
      path: target,
      overwrite: false,
    });
    const file = await readGgufFile(target);
    expect(file.metadata.get("lowbit.quality.base.sha256")?.value).toBe(made.run.sourceSha256);
    expect(file.metadata.get("lowbit.quality.text_sha256")?.value).toBe(measured.text.sha256);
    expect(file.metadata.get("lowbit.quality.kld")?.value).toBeCloseTo(m.kld, 5);
    expect(file.metadata.get("lowbit.quality.top1")?.value).toBeCloseTo(m.top1, 5);
    expect(file.metadata.get("lowbit.quality.tokens")?.value).toBe(m.tokens);
    expect(result.provenance["lowbit.quality.kld_method"]).toBe("full-vocabulary");
    const card = readFileSync(path.join(out.dir, "starter-q3-measured.md"), "utf8");
    expect(card).toContain(`mean KL divergence ${m.kld.toFixed(4)}`);
    expect(card).not.toContain("not measured yet");
  }, 120_000);

  it("refuses to overwrite without confirmation, and replaces all three files with it", async () => {
    const target = path.join(out.dir, "starter-q3.gguf");
    await expect(
      h.app.compress.export({ modelId: made.model.id, path: target, overwrite: false }),
    ).rejects.toMatchObject({ code: "already_exists" });
    const again = await h.app.compress.export({
      modelId: made.model.id,
      path: target,
      overwrite: true,
    });
    expect(again.provenance["lowbit.run_id"]).toBe(made.run.id);
    expect(readFileSync(`${target}.sha256`, "utf8")).toContain(again.sha256);
  });

  it("refuses a sidecar that exists, a path without .gguf and a missing folder", async () => {
    const other = path.join(out.dir, "other.gguf");
    writeFileSync(path.join(out.dir, "other.md"), "my notes");
    await expect(
      h.app.compress.export({ modelId: made.model.id, path: other, overwrite: false }),
    ).rejects.toThrow(/other\.md already exists/);
    expect(readFileSync(path.join(out.dir, "other.md"), "utf8")).toBe("my notes");
    await expect(
      h.app.compress.export({
        modelId: made.model.id,
        path: path.join(out.dir, "x.bin"),
        overwrite: false,
      }),
    ).rejects.toThrow(/does not end in \.gguf/);
    await expect(
      h.app.compress.export({
        modelId: made.model.id,
        path: "/nowhere/at/all/x.gguf",
        overwrite: false,
      }),
    ).rejects.toThrow(/does not exist/);
  });
});

async function dataHash(file: string, from: number): Promise<string> {
  const handle = await open(file, "r");
  try {
    const hash = createHash("sha256");
    for await (const chunk of handle.createReadStream({ start: from })) {
      hash.update(chunk as Buffer);
    }
    return hash.digest("hex");
  } finally {
    await handle.close();
  }
}
