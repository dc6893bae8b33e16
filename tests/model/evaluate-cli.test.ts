import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../helpers/tempDir.js";
import { tinyModelPath } from "../helpers/tinyModel.js";

/** `lowbit sweep`, `lowbit eval` and `lowbit runs list` as processes, the way a user runs them. */
function lowbit(home: string, args: string[]) {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "tests/helpers/lowbitCli.ts", "--home", home, "--json", ...args],
    { encoding: "utf8", timeout: 170_000 },
  );
  return { status: run.status, lines: run.stdout.trim().split("\n"), json: JSON.parse(run.stdout) };
}

const temp = makeTempDir("lowbit-eval-cli-");
afterAll(() => temp.cleanup());

beforeAll(async () => {
  const imported = lowbit(temp.dir, ["models", "import", await tinyModelPath(), "--name", "Tiny"]);
  expect(imported.status).toBe(0);
}, 60_000);

const measure = ["--ctx", "64", "--chunks", "3", "--threads", "1"];

describe("lowbit sweep, eval and runs list", () => {
  it("sweep prints one JSON array: each level with its run and its metrics", () => {
    const run = lowbit(temp.dir, ["sweep", "Tiny", "--levels", "Q8_0,Q4_K_M", ...measure]);
    expect(run.status).toBe(0);
    expect(run.lines).toHaveLength(1);
    expect(run.json).toHaveLength(2);
    const [q8, q4] = run.json as Array<Record<string, unknown>>;
    for (const item of [q8!, q4!]) {
      expect(item).toMatchObject({
        runId: expect.any(String),
        modelId: expect.any(String),
        sizeBytes: expect.any(Number),
        bpw: expect.any(Number),
        kld: expect.any(Number),
        top1: expect.any(Number),
        tokens: 3 * 31,
        contextSize: 64,
        chunks: 3,
        reusedEvaluation: false,
        error: null,
      });
    }
    expect(q8!.level).toBe("Q8_0");
    expect(q8!.kld as number).toBeLessThan(q4!.kld as number);
  });

  it("eval prints the issue's numbers for a model Lowbit made, against its source", () => {
    const run = lowbit(temp.dir, ["eval", "Tiny Q4_K_M", ...measure, "--force"]);
    expect(run.status).toBe(0);
    expect(run.lines).toHaveLength(1);
    for (const key of [
      "ppl",
      "pplBase",
      "deltaPpl",
      "kld",
      "kldP99",
      "top1",
      "promptTps",
      "decodeTps",
      "tokens",
      "seconds",
    ]) {
      expect(typeof run.json[key], key).toBe("number");
    }
    expect(run.json.deltaPpl).toBeCloseTo(run.json.ppl - run.json.pplBase, 9);
    expect(run.json).toMatchObject({ base: { name: "Tiny" }, reused: false });
  });

  it("eval of a model Lowbit did not make needs --base, and says so", () => {
    const run = lowbit(temp.dir, ["eval", "Tiny", ...measure]);
    expect(run.status).toBe(1);
    expect(run.json.error).toMatchObject({
      code: "invalid_params",
      hint: expect.stringContaining("--base"),
    });
  });

  it("runs list includes each run's metrics", () => {
    const run = lowbit(temp.dir, ["runs", "list"]);
    expect(run.status).toBe(0);
    const runs = run.json as Array<{ level: string; metrics: Record<string, unknown> | null }>;
    expect(runs.map((r) => r.level).sort()).toEqual(["Q4_K_M", "Q8_0"]);
    for (const r of runs) {
      expect(r.metrics).toMatchObject({ kld: expect.any(Number), top1: expect.any(Number) });
    }
  });

  it("sweep refuses an unknown level before doing anything", () => {
    const run = lowbit(temp.dir, ["sweep", "Tiny", "--levels", "Q8_0,Q9_X"]);
    expect(run.status).toBe(1);
    expect(run.json.error.message).toContain("Q9_X");
    expect(lowbit(temp.dir, ["runs", "list"]).json).toHaveLength(2);
  });
});
