import { readFileSync } from "node:fs";
import { expect, starterModelPath, test } from "./fixtures.js";
import { goTo, openApp } from "./helpers.js";

/**
 * What compression costs, from the browser: "Compare levels" quantizes and measures three levels
 * of the starter model, the chart shows three points and the frontier, a point opens its details,
 * two runs compare side by side, the table sorts, filters and exports, and the Compress slider
 * shows the measured quality on its stops.
 */
test.describe("runs", () => {
  test.skip(starterModelPath() === null, "needs the bundled starter model");

  test("compare three levels: three points, the frontier, details, compare and CSV", async ({
    page,
    host,
  }) => {
    test.setTimeout(300_000);
    await openApp(page, host);
    await goTo(page, "Runs");
    const panel = page.getByTestId("sweep-panel");
    await expect(panel.getByTestId("sweep-model")).toContainText("Lowbit Starter 18M");
    // Q8_0, Q4_K_M and Q2_K are ticked for a first comparison.
    const ticked = panel.locator('[data-testid="sweep-level"]:checked');
    await expect(ticked).toHaveCount(3, { timeout: 30_000 });
    expect(
      await ticked.evaluateAll((boxes) => boxes.map((b) => (b as HTMLInputElement).value)),
    ).toEqual(["Q8_0", "Q4_K_M", "Q2_K"]);
    await panel.getByTestId("sweep-chunks").fill("2");
    await panel.getByTestId("sweep-calibrate").uncheck();
    await panel.getByTestId("sweep-start").click();
    await expect(panel.getByTestId("sweep-progress")).toBeVisible();
    await expect(panel.getByTestId("sweep-summary")).toContainText("3 of 3 levels measured", {
      timeout: 240_000,
    });

    // Three points, on a chart Chart.js has drawn, with the frontier through them.
    const chart = page.getByTestId("pareto-chart");
    const points = chart.getByTestId("chart-points").locator("li");
    await expect(points).toHaveCount(3);
    await expect(chart.locator('li[data-frontier="true"]')).not.toHaveCount(0);
    await expect(chart.getByTestId("frontier-text")).toContainText(/Q2_K → .*Q8_0/);
    const painted = await chart.locator("canvas").evaluate((canvas: HTMLCanvasElement) => {
      const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      let opaque = 0;
      for (let i = 3; i < data.length; i += 4) {
        opaque += data[i]! > 0 ? 1 : 0;
      }
      return opaque;
    });
    expect(painted).toBeGreaterThan(1000);

    // Hovering a point names it; clicking it opens its run's details.
    const q2 = points.filter({ hasText: "Q2_K" });
    const canvas = chart.locator("canvas");
    const at = {
      x: Number(await q2.getAttribute("data-px")),
      y: Number(await q2.getAttribute("data-py")),
    };
    await canvas.hover({ position: at });
    await canvas.click({ position: at });
    const details = page.getByTestId("run-details");
    await expect(details.getByRole("heading")).toContainText("Q2_K");
    // The same from the keyboard, through the chart's list of points.
    await page.getByRole("button", { name: "Close the details" }).click();
    await expect(details).toHaveCount(0);
    await points.filter({ hasText: "Q8_0" }).getByRole("button").focus();
    await page.keyboard.press("Enter");
    await expect(details.getByRole("heading")).toContainText("Q8_0");
    await points.filter({ hasText: "Q2_K" }).getByRole("button").focus();
    await page.keyboard.press("Enter");
    await expect(details.getByRole("heading")).toContainText("Q2_K");
    await expect(details.getByTestId("details-kld")).toContainText(/0\.\d{4}/);
    await expect(details).toContainText("full vocabulary");

    // The table: every run measured; sorting by KLD puts the closest level first.
    const rows = page.getByTestId("run-row");
    await expect(rows).toHaveCount(3);
    await expect(rows.getByTestId("row-kld")).toHaveCount(3);
    await page.getByRole("button", { name: "KLD", exact: true }).click();
    await expect(rows.first()).toHaveAttribute("data-level", "Q8_0");
    await expect(rows.last()).toHaveAttribute("data-level", "Q2_K");

    // Two runs side by side.
    await page.getByLabel("Compare Q8_0 of Lowbit Starter 18M").check();
    await page.getByLabel("Compare Q2_K of Lowbit Starter 18M").check();
    const compare = page.getByTestId("compare-runs");
    await expect(compare).toContainText("Mean KLD");
    await expect(compare).toContainText("Same top token");

    // Filter, then export what is shown.
    await page.getByTestId("filter-query").fill("Q2");
    await expect(rows).toHaveCount(1);
    const download = page.waitForEvent("download");
    await page.getByTestId("export-csv").click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^lowbit-runs-.*\.csv$/);
    const csv = readFileSync((await file.path())!, "utf8")
      .trim()
      .split("\r\n");
    expect(csv).toHaveLength(2);
    expect(csv[0]).toContain("kld");
    expect(csv[1]).toContain("Q2_K");
    await page.getByTestId("filter-query").fill("");

    // The Compress slider shows what was measured on its stops.
    await goTo(page, "Compress");
    const slider = page.getByRole("slider", { name: "Compression level" });
    await expect(slider).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId("stop-measured")).toHaveCount(3);
    await expect(slider).toHaveAttribute("aria-valuetext", /^Q4_K_M, .*measured KL divergence/);
    await expect(page.getByTestId("stop-quality")).toContainText(/KLD 0\.\d{4} · ΔPPL/);
    const best = page.getByTestId("best-under");
    await best.getByLabel("Size budget in GiB").fill("0.0105");
    await expect(best).toContainText("Q2_K");

    // Comparing the same levels again repeats nothing.
    await goTo(page, "Runs");
    await panel.getByTestId("sweep-chunks").fill("2");
    await panel.getByTestId("sweep-calibrate").uncheck();
    await panel.getByTestId("sweep-start").click();
    await expect(panel.getByTestId("sweep-summary")).toContainText(
      "(3 measured before, not repeated)",
      { timeout: 60_000 },
    );
    await expect(page.getByTestId("run-row")).toHaveCount(3);
  });
});
