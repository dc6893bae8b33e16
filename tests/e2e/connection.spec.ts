import { expect, test } from "./fixtures.js";
import { openApp } from "./helpers.js";

test("when Lowbit stops, the app says so and offers a reload", async ({ page, host }) => {
  await openApp(page, host);
  await expect(page.getByRole("alert").filter({ hasText: "Lost connection" })).toHaveCount(0);
  await host.stop();
  const banner = page.getByRole("alert").filter({ hasText: "Lost connection to Lowbit — reload" });
  await expect(banner).toBeVisible();
  await expect(banner.getByRole("button", { name: "Reload" })).toBeVisible();
});
