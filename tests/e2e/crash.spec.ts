import { execFileSync } from "node:child_process";
import { expect, test } from "./fixtures.js";
import { openApp, send, useTinyModel } from "./helpers.js";

/** The model worker: the one child process of `lowbit serve` that runs the worker entry. */
function workerPid(hostPid: number): number {
  const out = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(hostPid)], {
    encoding: "utf8",
  });
  const line = out.split("\n").find((l) => /worker/i.test(l));
  if (line === undefined) {
    throw new Error(`no model worker under ${hostPid}:\n${out}`);
  }
  return Number(line.trim().split(/\s+/)[0]);
}

test("a crashed model process shows why, and Retry loads the model again", async ({
  page,
  host,
  consoleErrors,
}) => {
  await openApp(page, host);
  await useTinyModel(page, host);
  await send(page, "Once upon a time");
  await expect(page.getByTestId("message-stats")).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId("model-indicator")).toHaveAttribute("data-status", "ready");

  // What a llama.cpp abort or the OOM killer does to the model process.
  process.kill(workerPid(host.pid), "SIGKILL");
  const notice = page.getByTestId("runtime-error");
  await expect(notice).toContainText("The model process crashed");
  await expect(notice).toContainText("SIGKILL");
  await expect(notice).toContainText("Lowbit is still running");
  await expect(page.getByTestId("model-indicator")).toHaveAttribute("data-status", "crashed");
  // The conversation is untouched.
  await expect(page.getByTestId("message-assistant")).toHaveCount(1);

  await notice.getByRole("button", { name: "Retry" }).click();
  await expect(page.getByTestId("model-indicator")).toHaveAttribute("data-status", "ready", {
    timeout: 20_000,
  });
  await expect(notice).toHaveCount(0);
  expect(consoleErrors).toEqual([]);
});
