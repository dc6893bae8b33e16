import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures.js";
import { goTo, openApp, send } from "./helpers.js";

/** The gauge's figure in MiB, as the panel shows it ("1.50 MiB", "816 KiB"). */
async function mib(page: Page, gauge: string): Promise<number> {
  const text = (await page.getByTestId(`gauge-${gauge}`).locator(".value").textContent()) ?? "";
  const [, value, unit] = /([\d.]+)\s*(B|KiB|MiB|GiB)/.exec(text) ?? [];
  const scale = { B: 2 ** -20, KiB: 2 ** -10, MiB: 1, GiB: 2 ** 10 }[unit as "B"] ?? Number.NaN;
  return Number(value) * scale;
}

test.describe("live KV-cache compression", () => {
  // First in the file: it needs a host where no model has been loaded yet.
  test("a model over the memory limit is refused with what it needs, then loads anyway", async ({
    page,
    host,
  }) => {
    test.setTimeout(60_000);
    await openApp(page, host);
    await page.getByRole("button", { name: "Show KV cache & memory" }).click();
    const limit = page.getByLabel("Memory limit for a model in MiB");
    await limit.fill("16");
    await limit.press("Enter");
    await expect(page.getByTestId("load-estimate")).toContainText("Does not fit");
    await expect(page.getByTestId("load-estimate")).toContainText("your limit is 16.0 MiB");

    await send(page, "The old house on the hill was quiet");
    const notice = page.getByTestId("runtime-error");
    await expect(notice).toContainText(/needs about [\d.]+ MiB of RAM/);
    await expect(notice).toContainText("your memory limit is 16.0 MiB");
    await expect(page.getByTestId("message-user")).toHaveCount(1);
    await notice.getByRole("button", { name: "Load anyway" }).click();
    await expect(notice).toHaveCount(0);
    await page.getByRole("button", { name: "Write a reply" }).click();
    await expect(page.getByTestId("message-stats")).toBeVisible({ timeout: 45_000 });
    await limit.fill("");
    await limit.press("Enter");
  });

  test("switching K and V types in the panel shrinks the KV gauge and keeps the conversation", async ({
    page,
    host,
  }) => {
    test.setTimeout(90_000);
    await openApp(page, host);
    await goTo(page, "Settings");
    await page.getByLabel("Maximum reply length").fill("24");
    await page.getByLabel("Maximum reply length").press("Enter");
    await goTo(page, "Chat");
    await send(page, "The old house on the hill was quiet");
    const replies = page.getByTestId("message-assistant");
    await expect(replies.getByTestId("message-stats")).toBeVisible({ timeout: 45_000 });
    await send(page, "Then the farmer came home");
    await expect(replies.nth(1).getByTestId("message-stats")).toBeVisible({ timeout: 45_000 });
    const before = await page.locator("article.message .text").allTextContents();
    expect(before).toHaveLength(4);

    await page.getByRole("button", { name: "Show KV cache & memory" }).click();
    const panel = page.locator("#kv-panel");
    await expect(panel.getByTestId("gauge-kv")).toBeVisible();
    const f16 = await mib(page, "kv");
    expect(f16).toBeGreaterThan(0);

    // K to q8_0: applied live, the gauge follows, the messages stay.
    await panel.getByLabel("K cache type").selectOption("q8_0");
    await expect(panel.getByTestId("kv-result")).toContainText("f16/f16 → q8_0/f16");
    await expect.poll(() => mib(page, "kv")).toBeCloseTo(f16 * ((34 / 32 + 2) / 4), 2);
    // V to q4_0: flash attention cannot be turned off any more, and the panel says why.
    await panel.getByLabel("V cache type").selectOption("q4_0");
    await expect(panel.getByTestId("kv-result")).toContainText("q8_0/f16 → q8_0/q4_0");
    await expect.poll(() => mib(page, "kv")).toBeCloseTo(f16 * ((34 / 32 + 18 / 32) / 4), 2);
    await expect(panel.getByRole("radio", { name: "Off" })).toBeDisabled();
    await expect(panel.getByTestId("fa-note")).toContainText("needs flash attention");
    await expect(panel.getByTestId("kv-delta")).toContainText("→");
    await expect(panel.getByTestId("kv-probe")).toContainText("same top token");
    // Only the cache types changed: the cache was converted, not read again.
    await expect(panel.getByTestId("kv-method")).toContainText("cache converted in");
    expect(await page.locator("article.message .text").allTextContents()).toEqual(before);

    // The chat goes on with the new cache, and the reply says which cache wrote it.
    await send(page, "And the dog barked");
    await expect(replies.nth(2).getByTestId("message-kv")).toHaveText("KV q8_0/q4_0", {
      timeout: 45_000,
    });

    // One click back.
    await panel.getByRole("button", { name: "Revert to q8_0/f16" }).click();
    await expect.poll(() => mib(page, "kv")).toBeCloseTo(f16 * ((34 / 32 + 2) / 4), 2);
    await expect(page.locator("article.message")).toHaveCount(6);

    // Reloading keeps the chat, the settings and the open panel.
    await page.reload();
    await expect(page.locator("article.message")).toHaveCount(6);
    await expect(page.locator("#kv-panel").getByLabel("K cache type")).toHaveValue("q8_0");
    await expect(page.locator("#kv-panel").getByLabel("V cache type")).toHaveValue("f16");
  });

  test("the gauges move while a reply is written", async ({ page, host }) => {
    test.setTimeout(60_000);
    await openApp(page, host);
    await page.getByRole("button", { name: "Show KV cache & memory" }).click();
    await page.evaluate(() => {
      const seen = new Set<string>();
      (window as unknown as { seen: Set<string> }).seen = seen;
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="gauge-context"] .value')?.textContent;
        if (text) {
          seen.add(text);
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await send(page, "Once upon a time, in a small town by the river,");
    await expect(
      page.getByTestId("message-assistant").last().getByTestId("message-stats"),
    ).toBeVisible({
      timeout: 45_000,
    });
    // The context gauge counted up through the reply (snapshots come four times a second).
    const seen = await page.evaluate(() => (window as unknown as { seen: Set<string> }).seen.size);
    expect(seen).toBeGreaterThan(1);
  });
});
