import { readFileSync } from "node:fs";
import path from "node:path";
import { writeTinyModel } from "../../src-main/services/gguf/index.js";
import { FlakyServer } from "../helpers/flakyServer.js";
import { makeTempDir } from "../helpers/tempDir.js";
import { expect, test } from "./fixtures.js";
import { goTo, openApp } from "./helpers.js";

/**
 * Downloads in the Library view, from a real flaky HTTP server on 127.0.0.1 that also plays the
 * Hugging Face hub. The host of this file is started after `beforeAll` set LOWBIT_HUB_URL, so it
 * looks repos up there.
 */
let server: FlakyServer;
let scratch: ReturnType<typeof makeTempDir>;
const models: Buffer[] = [];

test.beforeAll(async () => {
  server = await FlakyServer.start();
  process.env.LOWBIT_HUB_URL = server.url;
  scratch = makeTempDir("lowbit-e2e-downloads-");
  for (const seed of [31, 32, 33, 34]) {
    const file = path.join(scratch.dir, `seed-${seed}.gguf`);
    await writeTinyModel({ path: file, seed, layers: 1, ff: 256, vocab: 1024 });
    models.push(readFileSync(file));
  }
});

test.afterAll(async () => {
  delete process.env.LOWBIT_HUB_URL;
  await server.close();
  scratch.cleanup();
});

test.describe("downloads", () => {
  test("a model added by URL shows its progress and becomes ready", async ({ page, host }) => {
    const bytes = models[0]!;
    // Slow enough (about 3 s) to watch the bar move.
    const url = server.addFile("tiny-F16.gguf", {
      bytes,
      bytesPerSecond: Math.round(bytes.length / 3),
    });
    await openApp(page, host);
    await goTo(page, "Library");
    await page.getByLabel("URL or Hugging Face repo").fill(url);
    await page.getByRole("button", { name: "Look up" }).click();

    const check = page.getByTestId("download-check");
    await expect(check).toContainText("tiny-F16.gguf");
    await expect(check).toContainText("F16");
    await expect(check).toContainText(/Bits\/weight\s*1\d\.\d\d/);
    await expect(page.getByTestId("download-fit")).toContainText(/Fits in memory|Tight fit/);
    await check.getByRole("button", { name: "Download", exact: true }).click();

    const row = page.getByTestId("download-row").filter({ hasText: "tiny-F16.gguf" });
    const bar = row.getByRole("progressbar");
    await expect(row.getByTestId("download-state")).toHaveText("Downloading");
    await expect(row.getByTestId("download-status")).toContainText(/\d+% · .* of .* · .*\/s/);
    await expect
      .poll(async () => Number(await bar.getAttribute("aria-valuenow")))
      .toBeGreaterThan(0);
    await expect(row.getByTestId("download-state")).toHaveText("Ready", { timeout: 20_000 });
    await expect(bar).toHaveAttribute("aria-valuenow", "100");
    await expect(row.getByTestId("download-status")).toContainText("checked as a GGUF");

    const model = page.getByTestId("model-row").filter({ hasText: "Downloaded" });
    await expect(model).toHaveCount(1);
    await expect(model).toContainText("llama");
  });

  test("a repo lists its files; a corrupt download says why, and Retry fixes it", async ({
    page,
    host,
  }) => {
    server.addRepo("acme/Tiny-GGUF", [
      { path: "Tiny-Q4_K_M.gguf", bytes: models[1]! },
      { path: "Tiny-Q8_0.gguf", bytes: models[2]!, wrongBytes: true },
    ]);
    await openApp(page, host);
    await goTo(page, "Library");
    const downloaded = page.getByTestId("model-row").filter({ hasText: "Downloaded" });
    const before = await downloaded.count();
    await page.getByLabel("URL or Hugging Face repo").fill("hf:acme/Tiny-GGUF");
    await page.getByRole("button", { name: "Look up" }).click();
    const files = page.getByTestId("repo-files");
    await expect(files).toContainText("2 GGUF files");
    await expect(files.getByRole("row", { name: /Tiny-Q4_K_M\.gguf Q4_K_M/ })).toBeVisible();
    await files
      .getByRole("row", { name: /Tiny-Q8_0\.gguf/ })
      .getByRole("button", { name: "Choose" })
      .click();
    const check = page.getByTestId("download-check");
    await expect(check).toContainText("sha256 matches the hub's");
    await check.getByRole("button", { name: "Download", exact: true }).click();

    const row = page.getByTestId("download-row").filter({ hasText: "Tiny-Q8_0.gguf" });
    await expect(row.getByTestId("download-state")).toHaveText("Failed");
    await expect(row.getByTestId("download-status")).toContainText(
      /Checksum mismatch: expected [0-9a-f]{64} got [0-9a-f]{64}/,
    );
    await expect(row).toContainText("Press Retry to download it again from the start.");
    await expect(downloaded).toHaveCount(before);

    server.setBehaviour("Tiny-Q8_0.gguf", { wrongBytes: false });
    await row.getByRole("button", { name: "Retry" }).click();
    await expect(row.getByTestId("download-state")).toHaveText("Ready");
    await expect(row.getByTestId("download-status")).toContainText("sha256 matches the hub's");
    await expect(downloaded).toHaveCount(before + 1);
  });

  test("pause keeps the data, resume continues, cancel deletes it", async ({ page, host }) => {
    const bytes = models[3]!;
    const url = server.addFile("slow.gguf", { bytes, bytesPerSecond: 150_000 });
    await openApp(page, host);
    await goTo(page, "Library");
    await page.getByLabel("URL or Hugging Face repo").fill(url);
    await page.getByRole("button", { name: "Look up" }).click();
    await page
      .getByTestId("download-check")
      .getByRole("button", { name: "Download", exact: true })
      .click();
    const row = page.getByTestId("download-row").filter({ hasText: "slow.gguf" });
    await expect(row.getByTestId("download-state")).toHaveText("Downloading");

    await row.getByRole("button", { name: "Pause" }).click();
    await expect(row.getByTestId("download-state")).toHaveText("Paused");
    await expect(row.getByTestId("download-status")).toContainText(/Paused · \d+% · .* of /);
    await row.getByRole("button", { name: "Resume" }).click();
    await expect(row.getByTestId("download-state")).toHaveText(/Connecting|Downloading/);
    // The resumed request asks for the rest only.
    await expect
      .poll(() => server.requests("/files/slow.gguf").at(-1)?.range)
      .toMatch(/^bytes=[1-9]\d*-$/);

    await row.getByRole("button", { name: "Cancel" }).click();
    await expect(row.getByTestId("download-state")).toHaveText("Cancelled");
    await expect(row.getByTestId("download-status")).toContainText("partial data was deleted");
    await row.getByRole("button", { name: "Clear" }).click();
    await expect(row).toHaveCount(0);
  });

  test("the number of downloads at once is a setting", async ({ page, host }) => {
    await openApp(page, host);
    await goTo(page, "Settings");
    const concurrency = page.getByLabel("Downloads at once");
    await expect(concurrency).toHaveValue("2");
    await concurrency.fill("9");
    await concurrency.press("Enter");
    await expect(concurrency).toHaveAttribute("aria-invalid", "true");
    await concurrency.fill("3");
    await concurrency.press("Enter");
    await expect(concurrency).toHaveAttribute("aria-invalid", "false");
    await page.reload();
    await expect(page.getByLabel("Downloads at once")).toHaveValue("3");
  });
});
