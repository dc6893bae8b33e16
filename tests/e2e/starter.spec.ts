import { expect, starterModelPath, test } from "./fixtures.js";
import { goTo, openApp, send } from "./helpers.js";

test("a fresh home has the starter model selected and can chat with it", async ({
  page,
  host,
  consoleErrors,
}) => {
  test.skip(
    starterModelPath() === null,
    "No starter model yet: resources/models/*.gguf does not exist (it is being trained).",
  );
  test.setTimeout(60_000);
  await openApp(page, host);
  const indicator = page.getByTestId("model-indicator");
  await expect(indicator).not.toContainText("No model");

  await goTo(page, "Library");
  const row = page.getByTestId("model-row").filter({ hasText: "Selected for chat" });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Bundled");
  const isBase = (await row.textContent())?.includes("Base") ?? false;

  await goTo(page, "Chat");
  if (isBase) {
    await expect(page.getByTestId("base-model-note")).toBeVisible();
    await page.getByRole("list", { name: "Prompt starts" }).getByRole("button").first().click();
    await expect(page.getByLabel("Message", { exact: true })).not.toHaveValue("");
    await page.getByLabel("Message", { exact: true }).press("Enter");
  } else {
    await send(page, "Hello!");
  }
  const reply = page.getByTestId("message-assistant");
  await expect(reply.getByTestId("message-stats")).toBeVisible({ timeout: 45_000 });
  await expect(reply.locator(".text")).toHaveText(/\S/);
  expect(consoleErrors).toEqual([]);
});
