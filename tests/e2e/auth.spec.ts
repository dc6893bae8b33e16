import { request as playwrightRequest } from "@playwright/test";
import WebSocket from "ws";
import { expect, test } from "./fixtures.js";

/** Resolves with the HTTP status of the upgrade, or 101 when the socket opened. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once("open", () => {
      socket.close();
      resolve(101);
    });
    socket.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
    socket.once("error", (error) => reject(error));
  });
}

test("the page and the contract socket need the token", async ({ host }) => {
  const anonymous = await playwrightRequest.newContext();
  try {
    for (const pathname of ["/", "/index.html", "/?token=wrong"]) {
      const response = await anonymous.get(`${host.origin}${pathname}`);
      expect(response.status(), pathname).toBe(401);
    }
    // With the token it works, and the answer sets the cookie that later loads use.
    const good = await anonymous.get(host.url);
    expect(good.status()).toBe(200);
    expect(good.headers()["set-cookie"]).toContain("HttpOnly");
  } finally {
    await anonymous.dispose();
  }

  const ws = `ws://127.0.0.1:${host.port}/ws`;
  expect(await upgradeStatus(ws)).toBe(401);
  expect(await upgradeStatus(`${ws}?token=wrong`)).toBe(401);
  // Another site cannot drive the app with the user's token.
  expect(await upgradeStatus(`${ws}?token=${host.token}`, { origin: "http://evil.example" })).toBe(
    401,
  );
  expect(await upgradeStatus(`${ws}?token=${host.token}`, { origin: host.origin })).toBe(101);
});

test("a page opened without the token shows the 401 text, not the app", async ({
  page,
  host,
  consoleErrors,
}) => {
  const response = await page.goto(host.origin);
  expect(response?.status()).toBe(401);
  await expect(page.getByText("Unauthorized")).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  // The browser logs the refused load itself; that is the expected outcome here.
  consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter((e) => !/401/.test(e)));
});
