import { expect, type Page } from "@playwright/test";
import type { LowbitHost } from "./host.js";

/** Opens the address `serve` printed and waits for the app shell. */
export async function openApp(page: Page, host: LowbitHost): Promise<void> {
  await page.goto(host.url);
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
}

export async function goTo(
  page: Page,
  view: "Chat" | "Library" | "Compress" | "Runs" | "Settings",
) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: view }).click();
  await expect(page.getByRole("heading", { level: 1 }).first()).toBeVisible();
}

/** Imports a file from the Library view; resolves when the import has finished (either way). */
export async function importByPath(page: Page, file: string): Promise<void> {
  await goTo(page, "Library");
  await page.getByLabel("File path").fill(file);
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(page.getByTestId("import-progress")).toHaveCount(0, { timeout: 20_000 });
}

/** Imports the host's tiny model (once) and makes it the chat model; ends in the Chat view. */
export async function useTinyModel(page: Page, host: LowbitHost): Promise<void> {
  await goTo(page, "Library");
  const row = page.getByTestId("model-row").filter({ hasText: "lowbit-tiny" });
  if ((await row.count()) === 0) {
    await importByPath(page, host.tinyModel());
    await expect(row).toHaveCount(1);
  }
  await row.getByRole("button", { name: /^(Use for chat|New chat)$/ }).click();
  await expect(page.getByTestId("model-indicator")).toContainText("lowbit-tiny");
}

export async function send(page: Page, text: string): Promise<void> {
  const box = page.getByLabel("Message", { exact: true });
  await box.fill(text);
  await box.press("Enter");
}
