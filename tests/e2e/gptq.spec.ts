import { expect, starterModelPath, test } from "./fixtures.js";
import { goTo, openApp } from "./helpers.js";

/**
 * Calibrated rounding from the browser: a stop that supports it offers "Calibrated" next to
 * "Plain", each with its measured quality; PTQTP calibrates by default; a calibrated compression
 * starts by calibrating on the sample text and can be cancelled, keeping nothing.
 */
test.describe("calibrated rounding", () => {
  test.skip(starterModelPath() === null, "needs the bundled starter model");

  test("offers calibrated and plain rounding; a calibrated run calibrates and cancels cleanly", async ({
    page,
    host,
  }) => {
    test.setTimeout(120_000);
    await openApp(page, host);
    await goTo(page, "Library");
    const before = await page.getByTestId("model-row").count();
    await goTo(page, "Compress");
    const slider = page.getByRole("slider", { name: "Compression level" });
    await expect(slider).toBeVisible({ timeout: 30_000 });

    // Q8_0 has no grid: no choice to make.
    await page.locator(`[data-stop="Q8_0"]`).click();
    await expect(page.getByTestId("rounding")).toHaveCount(0);

    await page.locator(`[data-stop="PTQTP1"]`).click();
    const text = (await slider.getAttribute("aria-valuetext")) ?? "";
    test.skip(text.includes("unavailable"), "PTQTP needs the extended runtime");
    await expect(slider).toHaveAttribute("aria-valuetext", /calibrated rounding by default/);
    const rounding = page.getByTestId("rounding");
    await expect(rounding.getByTestId("rounding-gptq")).toBeChecked();
    await expect(rounding).toContainText("Calibrated (default)");
    await expect(rounding.getByTestId("rounding-quality-gptq")).toContainText("not measured yet");
    await expect(rounding.getByTestId("rounding-text")).toBeVisible();

    // Plain hides the sample text; back to calibrated and run it.
    await rounding.getByTestId("rounding-rtn").check();
    await expect(rounding.getByTestId("rounding-text")).toHaveCount(0);
    await rounding.getByTestId("rounding-gptq").check();
    await page.getByTestId("compress-start").click();
    const progress = page.getByTestId("compress-progress");
    await expect(progress).toContainText(/Calibrating: chunk \d+ of 64/, { timeout: 60_000 });
    await progress.getByRole("button", { name: "Cancel" }).click();
    await expect(progress).toHaveCount(0);
    await expect(page.getByText("Compression cancelled; nothing was kept.")).toBeVisible();
    await goTo(page, "Runs");
    const run = page.getByTestId("run-row").first();
    await expect(run).toContainText("PTQTP1+gptq");
    await expect(run).toContainText("cancelled");
    await goTo(page, "Library");
    await expect(page.getByTestId("model-row")).toHaveCount(before);
  });
});
