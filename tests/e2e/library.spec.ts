import { readFileSync } from "node:fs";
import { expect, starterModelPath, test } from "./fixtures.js";
import { goTo, importByPath, openApp } from "./helpers.js";

test.describe("library", () => {
  test("with no model, Chat and Library explain how to get one", async ({
    page,
    host,
    consoleErrors,
  }) => {
    await openApp(page, host);
    if (starterModelPath() !== null) {
      // Removing the bundled starter model keeps its file and says so.
      await goTo(page, "Library");
      const starter = page.getByTestId("model-row").filter({ hasText: "Bundled" });
      await starter.getByRole("button", { name: /^Remove/ }).click();
      const dialog = page.getByRole("dialog");
      await expect(dialog).toContainText("file stays with the app");
      await dialog.getByRole("button", { name: "Remove", exact: true }).click();
      await expect(page.getByTestId("model-row")).toHaveCount(0);
    }
    await goTo(page, "Chat");
    await expect(page.getByRole("heading", { name: "No model yet" })).toBeVisible();
    await expect(page.getByLabel("Message", { exact: true })).toBeDisabled();
    await goTo(page, "Library");
    await expect(page.getByRole("heading", { name: "Your library is empty" })).toBeVisible();
    expect(consoleErrors).toEqual([]);
  });

  test("importing a file that is not a GGUF shows why and adds nothing", async ({ page, host }) => {
    await openApp(page, host);
    await goTo(page, "Library");
    const rows = page.getByTestId("model-row");
    const before = await rows.count();

    const text = host.writeFile("notes.gguf", "These are my notes, not a model.\n".repeat(20));
    await importByPath(page, text);
    const error = page.getByTestId("import-error");
    await expect(error).toBeVisible();
    await expect(error).toContainText(/GGUF/i);
    await expect(error).toContainText("Nothing was added");
    await expect(page.getByLabel("File path")).toHaveAttribute("aria-invalid", "true");
    await expect(rows).toHaveCount(before);

    // A real model cut short is refused too.
    const tiny = readFileSync(host.tinyModel());
    const truncated = host.writeFile(
      "truncated.gguf",
      tiny.subarray(0, Math.floor(tiny.length / 2)),
    );
    await importByPath(page, truncated);
    await expect(error).toBeVisible();
    await expect(rows).toHaveCount(before);

    // Typing a new path clears the error.
    await page.getByLabel("File path").fill("/somewhere/else.gguf");
    await expect(error).toHaveCount(0);
  });

  test("a model can be imported, inspected, renamed and removed", async ({ page, host }) => {
    await openApp(page, host);
    await importByPath(page, host.tinyModel());
    const row = page.getByTestId("model-row").filter({ hasText: "lowbit-tiny" });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("llama");
    await expect(row).toContainText("F16");
    await expect(row).toContainText("Imported");

    await row.getByRole("button", { name: /^Details of/ }).click();
    const details = page.getByTestId("model-details");
    await expect(details).toContainText("SHA-256");
    await expect(details).toContainText(/[0-9a-f]{64}/);
    await expect(details.getByRole("rowheader", { name: "F16" })).toBeVisible();

    await row.getByRole("button", { name: /^Rename/ }).click();
    const name = page.getByLabel("Model name");
    await name.fill("My tiny model");
    await name.press("Enter");
    const renamed = page.getByTestId("model-row").filter({ hasText: "My tiny model" });
    await expect(renamed).toHaveCount(1);

    await renamed.getByRole("button", { name: /^Remove/ }).click();
    const dialog = page.getByRole("dialog");
    await expect(dialog).toContainText("will be deleted");
    await dialog.getByRole("button", { name: "Remove and delete file" }).click();
    await expect(renamed).toHaveCount(0);
  });

  test("settings save at once and reject bad values", async ({ page, host }) => {
    await openApp(page, host);
    await goTo(page, "Settings");
    const context = page.getByLabel("Context size");
    await context.fill("64");
    await context.press("Enter");
    await expect(context).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByRole("alert").filter({ hasText: /128/ })).toBeVisible();
    await context.fill("1024");
    await context.press("Enter");
    await expect(context).toHaveAttribute("aria-invalid", "false");

    await page.getByRole("radio", { name: "Dark" }).check();
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
    await page.reload();
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
    await expect(page.getByLabel("Context size")).toHaveValue("1024");
    await expect(page.getByText(host.home)).toBeVisible();
  });
});
