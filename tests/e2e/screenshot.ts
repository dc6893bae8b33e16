/**
 * Screenshots for the README and for reviewing the UI: `npx tsx tests/e2e/screenshot.ts`
 * (after `npm run build`). Not part of the test run. Writes test-results/screenshots/*.png and
 * copies the light chat view to docs/screenshot.png. Uses the bundled starter model when it
 * exists, else a tiny random-weight model.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, expect, type Page } from "@playwright/test";
import { goTo, importByPath, send } from "./helpers.js";
import { root, starterModelPath, startHost } from "./host.js";

const out = path.join(root, "test-results/screenshots");
const host = await startHost();
const browser = await chromium.launch({
  executablePath: process.env.LOWBIT_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
});

async function shoot(page: Page, name: string): Promise<string> {
  const file = path.join(out, `${name}.png`);
  await page.screenshot({ path: file });
  process.stdout.write(`${file}\n`);
  return file;
}

async function waitForReply(page: Page, count: number): Promise<void> {
  await expect(page.getByTestId("message-stats")).toHaveCount(count, { timeout: 60_000 });
}

try {
  mkdirSync(out, { recursive: true });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    colorScheme: "light",
    reducedMotion: "reduce",
  });
  const page = await context.newPage();
  await page.goto(host.url);
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();

  await goTo(page, "Settings");
  const maxTokens = page.getByLabel("Maximum reply length");
  await maxTokens.fill("60");
  await maxTokens.press("Enter");
  await expect(page.getByText("Saved")).toBeVisible();

  if (starterModelPath() === null) {
    await importByPath(page, host.tinyModel());
  }
  await goTo(page, "Chat");
  await shoot(page, "chat-empty-light");

  await send(page, "The history of the town begins in 1820, when");
  await waitForReply(page, 1);
  await page.keyboard.press("Control+Shift+O");
  await send(page, "It was late in the afternoon when the committee");
  await waitForReply(page, 1);
  await send(page, "The new highway will");
  await waitForReply(page, 2);
  await page.mouse.move(0, 0);
  const chatLight = await shoot(page, "chat-light");

  await page.emulateMedia({ colorScheme: "dark" });
  await shoot(page, "chat-dark");
  await page.getByRole("button", { name: "Show KV cache & memory" }).click();
  await shoot(page, "chat-dark-panel");
  await page.getByRole("button", { name: "Hide KV cache & memory" }).first().click();

  await page.emulateMedia({ colorScheme: "light" });
  await goTo(page, "Library");
  await page
    .getByTestId("model-row")
    .first()
    .getByRole("button", { name: /^Details of/ })
    .click();
  await shoot(page, "library-light");
  await page.emulateMedia({ colorScheme: "dark" });
  await shoot(page, "library-dark");
  await page.emulateMedia({ colorScheme: "light" });
  await page.getByLabel("File path").fill(host.writeFile("notes.gguf", "not a model\n"));
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(page.getByTestId("import-error")).toBeVisible();
  await shoot(page, "library-import-error");

  for (const view of ["Settings", "Compress", "Runs"] as const) {
    await goTo(page, view);
    await shoot(page, `${view.toLowerCase()}-light`);
  }

  await page.getByRole("button", { name: "Shortcuts" }).click();
  await shoot(page, "shortcuts-light");
  await page.keyboard.press("Escape");
  await goTo(page, "Library");
  await page
    .getByTestId("model-row")
    .first()
    .getByRole("button", { name: /^Remove/ })
    .click();
  await shoot(page, "remove-confirm-light");
  await page.getByRole("button", { name: "Cancel" }).click();

  // Mid-reply: the caret, the Stop button and the busy indicator.
  await goTo(page, "Settings");
  await maxTokens.fill("2000");
  await maxTokens.press("Enter");
  await goTo(page, "Chat");
  await send(page, "The old house on the hill");
  await expect(page.getByTestId("streaming-text")).toHaveText(/\S{3}.{40,}/s, { timeout: 30_000 });
  await shoot(page, "chat-streaming-light");
  await page.keyboard.press("Escape");
  await expect(page.getByRole("button", { name: "Stop" })).toHaveCount(0);

  mkdirSync(path.join(root, "docs"), { recursive: true });
  copyFileSync(chatLight, path.join(root, "docs/screenshot.png"));
  process.stdout.write("docs/screenshot.png\n");
} finally {
  await browser.close();
  await host.stop();
}
