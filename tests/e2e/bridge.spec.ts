import { expect, test } from "./fixtures.js";

/**
 * The Electron path of the api layer, without Electron: an init script plays the preload
 * (`window.lowbit`, a MessagePort on request) and pipes the port to the host's WebSocket, so the
 * renderer must pick the port transport and speak the contract over it.
 */
test("in the desktop shell the renderer talks over the preload's MessagePort", async ({
  page,
  host,
}) => {
  await page.addInitScript(() => {
    Object.defineProperty(window, "lowbit", { value: { shell: "electron" } });
    const log: string[] = [];
    (window as unknown as { bridgeLog: string[] }).bridgeLog = log;
    window.addEventListener("message", (event) => {
      if (
        event.source !== window ||
        (event.data as { type?: string })?.type !== "lowbit:request-port"
      ) {
        return;
      }
      log.push("request");
      const channel = new MessageChannel();
      const socket = new WebSocket(`ws://${location.host}/ws`);
      socket.addEventListener("open", () => {
        channel.port2.onmessage = (message) => {
          log.push("to-main");
          socket.send(JSON.stringify(message.data));
        };
        socket.addEventListener("message", (message) =>
          channel.port2.postMessage(JSON.parse(String(message.data))),
        );
        window.postMessage({ type: "lowbit:port" }, location.origin, [channel.port1]);
      });
    });
  });
  // The first load sets the cookie that the piped socket then uses.
  await page.goto(host.url);
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByText(host.home)).toBeVisible();
  const log = await page.evaluate(() => (window as unknown as { bridgeLog: string[] }).bridgeLog);
  expect(log[0]).toBe("request");
  expect(log.filter((entry) => entry === "to-main").length).toBeGreaterThan(2);
});
