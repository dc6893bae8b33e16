import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures.js";
import { goTo, openApp, send, useTinyModel } from "./helpers.js";

test.describe("chat with a tiny model", () => {
  test("imports a model, streams a reply, and keeps the chat across a reload", async ({
    page,
    host,
    consoleErrors,
  }) => {
    await openApp(page, host);
    // The access token leaves the address bar once the app has started.
    await expect.poll(() => new URL(page.url()).searchParams.has("token")).toBe(false);
    await useTinyModel(page, host);

    // Record every length the streaming reply goes through, to see it grow token by token.
    await page.evaluate(() => {
      const lengths: number[] = [];
      (window as unknown as { lengths: number[] }).lengths = lengths;
      new MutationObserver(() => {
        const node = document.querySelector('[data-testid="streaming-text"]');
        if (node !== null) {
          lengths.push(node.textContent?.length ?? 0);
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await send(page, "Hello there, model");

    const user = page.getByTestId("message-user");
    const reply = page.getByTestId("message-assistant");
    await expect(user).toHaveCount(1);
    await expect(user).toContainText("Hello there, model");
    await expect(reply.getByTestId("message-stats")).toBeVisible({ timeout: 20_000 });
    await expect(reply.getByTestId("message-stats")).toContainText(/\d+ tokens/);
    await expect(reply.locator(".text")).not.toBeEmpty();
    const lengths = await page.evaluate(() => (window as unknown as { lengths: number[] }).lengths);
    expect(new Set(lengths.filter((n) => n > 0)).size).toBeGreaterThan(1);

    // The conversation got its title from the message and is listed.
    const item = page.getByTestId("conversation-item");
    await expect(item).toHaveCount(1);
    await expect(item).toContainText("Hello there, model");
    const replyText = await reply.locator(".text").textContent();

    await page.reload();
    await expect(page.getByTestId("conversation-item")).toHaveCount(1);
    await expect(page.getByTestId("message-user")).toContainText("Hello there, model");
    await expect(page.getByTestId("message-assistant").locator(".text")).toHaveText(
      replyText ?? "",
    );
    await expect(page.getByTestId("message-stats")).toBeVisible();
    expect(consoleErrors).toEqual([]);
  });

  test("Stop and Esc keep the partial reply; Regenerate replaces the last one", async ({
    page,
    host,
  }) => {
    await openApp(page, host);
    await setMaxTokens(page, "32768");
    await useTinyModel(page, host);

    const replies = page.getByTestId("message-assistant");
    await stopMidReply(
      page,
      (attempt) => send(page, `Once upon a time, part ${attempt + 1}`),
      () => page.getByRole("button", { name: "Stop" }).click({ timeout: 2000 }),
    );
    const last = replies.last();
    await expect(last.locator(".text")).toHaveText(/\S/);
    const stats = (await last.getByTestId("message-stats").textContent()) ?? "";
    const tokens = Number(stats.match(/([\d,]+) tokens/)?.[1]?.replace(/,/g, ""));
    expect(tokens).toBeGreaterThan(0);
    expect(tokens).toBeLessThan(32768);

    await stopMidReply(
      page,
      (attempt) => send(page, `And then, chapter ${attempt + 1}`),
      () => page.keyboard.press("Escape"),
    );
    const count = await replies.count();
    const lastText = await replies.last().locator(".text").textContent();

    // Regenerate replaces the last reply rather than adding one (stopped early if it runs long).
    await replies.last().getByRole("button", { name: "Regenerate" }).click();
    if ((await waitForTextOrEnd(page, count - 1)) === "streaming") {
      await page.keyboard.press("Escape");
    }
    await expect(page.getByRole("button", { name: "Stop" })).toHaveCount(0, { timeout: 20_000 });
    await expect(replies).toHaveCount(count);

    await page.reload();
    await expect(replies).toHaveCount(count);
    await expect(page.getByTestId("stop-reason").filter({ hasText: "stopped" })).not.toHaveCount(0);
    expect(lastText).not.toBe("");
  });

  test("chats start with Ctrl+N or Ctrl+Shift+O, rename inline, and delete after a confirm", async ({
    page,
    host,
  }) => {
    await openApp(page, host);
    await setMaxTokens(page, "24");
    await useTinyModel(page, host);
    const items = page.getByTestId("conversation-item");
    const before = await items.count();
    for (const text of ["First chat", "Second chat"]) {
      // Ctrl+N (desktop app) and Ctrl+Shift+O (also in a browser tab) both start a new chat.
      await page.keyboard.press(text === "First chat" ? "Control+n" : "Control+Shift+O");
      await expect(page.getByRole("heading", { level: 1, name: "New chat" })).toBeVisible();
      await expect(page.getByLabel("Message", { exact: true })).toBeFocused();
      await send(page, text);
      await expect(page.getByTestId("message-stats")).toBeVisible({ timeout: 20_000 });
    }
    await expect(items).toHaveCount(before + 2);

    // The newest chat is first; rename it inline (Enter saves) and see it survive a reload.
    const newest = items.filter({ hasText: "Second chat" });
    await newest.hover();
    await newest.getByRole("button", { name: /^Rename/ }).click();
    const title = page.getByLabel("Chat title");
    await title.fill("Renamed chat");
    await title.press("Enter");
    await expect(page.getByRole("heading", { level: 1, name: "Renamed chat" })).toBeVisible();
    await page.reload();
    const renamed = page.getByTestId("conversation-item").filter({ hasText: "Renamed chat" });
    await expect(renamed).toHaveCount(1);

    // Delete asks first; Cancel keeps it, Delete removes it.
    await renamed.hover();
    await renamed.getByRole("button", { name: /^Delete/ }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this chat?" });
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
    await expect(items).toHaveCount(before + 2);
    await renamed.hover();
    await renamed.getByRole("button", { name: /^Delete/ }).click();
    await dialog.getByRole("button", { name: "Delete" }).click();
    await expect(items).toHaveCount(before + 1);
    await expect(renamed).toHaveCount(0);
    await expect(page.getByRole("heading", { level: 1, name: "New chat" })).toBeVisible();
  });
});

/**
 * Waits until a reply being written shows some text ("streaming"), or until a finished reply has
 * been added after the `before` replies already there ("ended"). One read of the page per poll,
 * so an element cannot vanish between two queries.
 */
async function waitForTextOrEnd(page: Page, before: number): Promise<"streaming" | "ended"> {
  const read = () =>
    page.evaluate((before) => {
      const text = document.querySelector('[data-testid="streaming-text"]')?.textContent;
      if (text != null) {
        return text.trim().length >= 20 ? "streaming" : "waiting";
      }
      const stats = document.querySelectorAll('[data-testid="message-stats"]').length;
      return stats > before ? "ended" : "waiting";
    }, before);
  let state = "waiting";
  await expect
    .poll(async () => (state = await read()), { timeout: 20_000, intervals: [25] })
    .not.toBe("waiting");
  return state as "streaming" | "ended";
}

/**
 * Starts a reply and stops it once some text has streamed. A random-weight model can end a reply
 * on its own before the stop lands (about one try in three here); then it tries again with a new
 * message, ten times at most, so a Stop that does nothing still fails the test.
 */
async function stopMidReply(
  page: Page,
  start: (attempt: number) => Promise<void>,
  stop: () => Promise<unknown>,
): Promise<void> {
  const replies = page.getByTestId("message-assistant");
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = await page.getByTestId("message-stats").count();
    await start(attempt);
    const state = await waitForTextOrEnd(page, before);
    if (state === "streaming") {
      await stop().catch(() => undefined);
    }
    await expect(page.getByRole("button", { name: "Stop" })).toHaveCount(0, { timeout: 20_000 });
    if ((await replies.last().getByTestId("stop-reason").textContent()) === "stopped") {
      return;
    }
  }
  throw new Error("The reply never ended as stopped: Stop did not take effect.");
}

async function setMaxTokens(page: Page, value: string): Promise<void> {
  await goTo(page, "Settings");
  const field = page.getByLabel("Maximum reply length");
  await field.fill(value);
  await field.press("Enter");
  await expect(page.getByText("Saved")).toBeVisible();
}
