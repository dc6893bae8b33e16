import { readFileSync } from "node:fs";
import { expect, test } from "./fixtures.js";
import { goTo, openApp, send } from "./helpers.js";

test.describe("chat features", () => {
  test.beforeEach(async ({ page, host, context }) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await openApp(page, host);
    await goTo(page, "Settings");
    await page.getByLabel("Maximum reply length").fill("12");
    await page.getByLabel("Maximum reply length").press("Enter");
    await goTo(page, "Chat");
  });

  test("a system prompt per chat, and sampling settings, kept across a reload", async ({
    page,
  }) => {
    await send(page, "The harbour was busy that morning");
    await expect(page.getByTestId("message-stats")).toBeVisible({ timeout: 45_000 });
    await page.getByRole("button", { name: "Show KV cache & memory" }).click();
    await page.getByRole("tab", { name: "Prompt & sampling" }).click();
    const system = page.getByRole("textbox", { name: "System prompt of this chat" });
    await system.fill("The following is the log of a ship's captain.");
    await system.blur();
    await page.getByLabel("Top-k").fill("12");
    await page.getByLabel("Top-k").blur();
    await page.getByLabel("Min-p").fill("0.1");
    await page.getByLabel("Min-p").blur();
    await page.getByLabel("Repeat penalty").fill("3");
    await page.getByLabel("Repeat penalty").blur();
    await expect(page.getByText("Too big: expected number to be <=2")).toBeVisible();

    await page.reload();
    await page.getByRole("tab", { name: "Prompt & sampling" }).click();
    await expect(page.getByRole("textbox", { name: "System prompt of this chat" })).toHaveValue(
      "The following is the log of a ship's captain.",
    );
    await expect(page.getByLabel("Top-k")).toHaveValue("12");
    await expect(page.getByLabel("Min-p")).toHaveValue("0.1");
    await expect(page.getByLabel("Repeat penalty")).toHaveValue("1.1");
    // The next reply is written under the new prompt and settings.
    await send(page, "We sailed at dawn");
    await expect(page.getByTestId("message-stats")).toHaveCount(2, { timeout: 45_000 });
  });

  test("edit and resend replaces what followed; copy puts a message on the clipboard", async ({
    page,
  }) => {
    await send(page, "A letter came for the miller");
    await expect(page.getByTestId("message-stats")).toBeVisible({ timeout: 45_000 });
    await send(page, "He opened it slowly");
    await expect(page.getByTestId("message-stats")).toHaveCount(2, { timeout: 45_000 });

    const first = page.getByTestId("message-user").first();
    await first.getByRole("button", { name: "Copy message" }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
      "A letter came for the miller",
    );

    await first.getByRole("button", { name: "Edit message" }).click();
    const editor = page.getByRole("textbox", { name: "Edit your message" });
    await editor.fill("A parcel came for the baker");
    await page.getByRole("button", { name: "Send again" }).click();
    await expect(page.getByTestId("message-stats")).toHaveCount(1, { timeout: 45_000 });
    await expect(page.getByTestId("message-user")).toHaveCount(1);
    await expect(page.getByTestId("message-user")).toContainText("A parcel came for the baker");
    await page.reload();
    await expect(page.getByTestId("message-user")).toHaveCount(1);
    await expect(page.getByTestId("message-assistant")).toHaveCount(1);
    await expect(page.getByTestId("message-user")).toContainText("A parcel came for the baker");
  });

  test("search finds a chat by what was said in it; export saves Markdown and JSON", async ({
    page,
  }) => {
    const chats = page.getByTestId("conversation-item");
    const before = await chats.count();
    await send(page, "The lighthouse keeper counted ships");
    await expect(page.getByTestId("message-stats")).toBeVisible({ timeout: 45_000 });
    await page.keyboard.press("Control+Shift+O");
    await send(page, "Bread rises in a warm kitchen");
    await expect(page.getByTestId("message-stats")).toBeVisible({ timeout: 45_000 });

    await page.getByRole("searchbox", { name: "Search chats" }).fill("lighthouse");
    const hits = page.getByTestId("search-hit");
    await expect(hits).toHaveCount(1);
    await hits.click();
    await expect(page.getByRole("heading", { level: 1 })).toContainText("lighthouse keeper");
    await page.getByRole("button", { name: "Clear the search" }).click();
    await expect(chats).toHaveCount(before + 2);

    for (const [format, name] of [
      ["Markdown", /\.md$/],
      ["JSON", /\.json$/],
    ] as const) {
      await page.getByRole("button", { name: "Export this chat" }).click();
      const download = page.waitForEvent("download");
      await page.getByRole("menuitem", { name: new RegExp(format) }).click();
      const file = await download;
      expect(file.suggestedFilename()).toMatch(name);
      const content = readFileSync((await file.path())!, "utf8");
      expect(content).toContain("The lighthouse keeper counted ships");
      if (format === "JSON") {
        expect(JSON.parse(content).messages).toHaveLength(2);
      }
    }
  });
});
