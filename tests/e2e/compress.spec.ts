import { expect, starterModelPath, test } from "./fixtures.js";
import { goTo, openApp } from "./helpers.js";

/**
 * Compression from the browser: the slider's stops carry exact sizes, a stop runs as a job with
 * progress, and the result is a new model in the library, recorded in Runs.
 */
test.describe("compress", () => {
  test.skip(starterModelPath() === null, "needs the bundled starter model");

  test("pick a stop on the slider, run it, watch progress, find the model in the library", async ({
    page,
    host,
  }) => {
    test.setTimeout(120_000);
    await openApp(page, host);
    await goTo(page, "Compress");
    await expect(page.getByTestId("compress-source")).toContainText("Lowbit Starter 18M");

    const slider = page.getByRole("slider", { name: "Compression level" });
    await expect(slider).toBeVisible({ timeout: 30_000 });
    // It starts on Q4_K_M; the keyboard moves one stop at a time.
    await expect(slider).toHaveAttribute("aria-valuetext", /^Q4_K_M, /);
    await slider.focus();
    await page.keyboard.press("Home");
    await expect(slider).toHaveAttribute("aria-valuetext", /^F16, .*unavailable/);
    await expect(page.getByTestId("compress-start")).toBeDisabled();
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    await expect(slider).toHaveAttribute("aria-valuetext", /^Q8_0, 8\.\d\d bits per weight/);
    const details = page.getByTestId("stop-details");
    await expect(details.getByRole("heading", { name: "Q8_0" })).toBeVisible();
    await expect(details).toContainText("Fits in memory");
    await expect(details).toContainText("Not measured yet");
    const size = (await page.getByTestId("stop-size").locator("strong").innerText()).trim();
    expect(size).toMatch(/MiB$/);

    // Below 4 bits calibration is offered and on by default.
    await page.keyboard.press("End");
    await expect(page.getByTestId("calibrate")).toBeChecked();
    await expect(page.getByTestId("calibrate")).toBeDisabled();
    await page.locator(`[data-stop="Q8_0"]`).click();
    await expect(slider).toHaveAttribute("aria-valuetext", /^Q8_0, /);
    await expect(page.getByTestId("calibrate")).toHaveCount(0);

    await page.getByTestId("compress-start").click();
    const progress = page.getByTestId("compress-progress");
    await expect(progress).toBeVisible();
    await expect(progress).toContainText("Compressing Lowbit Starter 18M to Q8_0");
    const done = page.getByTestId("compress-done");
    await expect(done).toContainText("Added to your library: Lowbit Starter 18M Q8_0", {
      timeout: 60_000,
    });
    await expect(done).toContainText(size);

    await done.getByRole("button", { name: "Show in Library" }).click();
    const row = page.getByTestId("model-row").filter({ hasText: "Lowbit Starter 18M Q8_0" });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("Compressed");
    await expect(row).toContainText(size);

    await goTo(page, "Runs");
    const run = page.getByTestId("run-row").first();
    await expect(run).toContainText("Q8_0");
    await expect(run).toContainText("done");
    await expect(run).toContainText(size);
  });

  test("a running compression can be cancelled and leaves nothing behind", async ({
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
    // The last test left its Q8_0 result selected: compressing that again needs a confirmation.
    await expect(page.getByTestId("requantize-warning")).toContainText("already quantized (Q8_0)");
    await expect(page.getByTestId("compress-start")).toBeDisabled();
    await page.getByTestId("compress-source").selectOption({ label: "Lowbit Starter 18M · F16" });
    await expect(page.getByTestId("requantize-warning")).toHaveCount(0);
    await slider.focus();
    // IQ2_XXS: calibration first, then a slow quantization; plenty of time to cancel.
    await page.locator(`[data-stop="IQ2_XXS"]`).click();
    await expect(slider).toHaveAttribute("aria-valuetext", /^IQ2_XXS, .*needs calibration/);
    await page.getByTestId("compress-start").click();
    const progress = page.getByTestId("compress-progress");
    await expect(progress).toContainText(/Calibrating|Quantizing/);
    await progress.getByRole("button", { name: "Cancel" }).click();
    await expect(progress).toHaveCount(0);
    await expect(page.getByText("Compression cancelled; nothing was kept.")).toBeVisible();
    await goTo(page, "Runs");
    await expect(page.getByTestId("run-row").first()).toContainText("cancelled");
    await goTo(page, "Library");
    await expect(page.getByTestId("model-row")).toHaveCount(before);
  });
});
