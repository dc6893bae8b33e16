import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHost, type Host } from "../../src-main/host/hostServer.js";
import { openLowbit, type Lowbit } from "../../src-main/services/lowbit.js";
import { connectWebSocket } from "../helpers/appHarness.js";
import { makeTempDir } from "../helpers/tempDir.js";

describe("the browser host", () => {
  const temp = makeTempDir();
  let app: Lowbit;
  let host: Host;
  let base: string;

  beforeAll(async () => {
    const renderer = path.join(temp.dir, "renderer");
    mkdirSync(path.join(renderer, "assets"), { recursive: true });
    writeFileSync(path.join(renderer, "index.html"), "<!doctype html><title>Lowbit</title>");
    writeFileSync(path.join(renderer, "assets", "app.js"), "console.log(1)");
    writeFileSync(path.join(temp.dir, "secret.txt"), "not for the browser");
    app = await openLowbit({
      home: path.join(temp.dir, "home"),
      shell: "test",
      registerStarterModel: false,
    });
    host = await startHost({ app, rendererDir: renderer });
    base = `http://127.0.0.1:${host.port}`;
  });
  afterAll(async () => {
    await host.close();
    app.close();
    temp.cleanup();
  });

  it("listens on 127.0.0.1 only and prints a URL that carries the token", () => {
    expect(host.url).toBe(`${base}/?token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(32);
  });

  it("answers 401 without the token or with a wrong one", async () => {
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/assets/app.js`)).status).toBe(401);
    expect((await fetch(`${base}/?token=wrong`)).status).toBe(401);
    expect((await fetch(`${base}/`, { headers: { authorization: "Bearer nope" } })).status).toBe(
      401,
    );
  });

  it("serves the page with the token, sets an HttpOnly cookie and a strict CSP", async () => {
    const response = await fetch(host.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("<title>Lowbit</title>");
    expect(response.headers.get("set-cookie")).toMatch(
      /lowbit_token=.+; HttpOnly; SameSite=Strict/,
    );
    expect(response.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("accepts the cookie for assets, so a reload without the token works", async () => {
    const cookie = `lowbit_token=${encodeURIComponent(host.token)}`;
    const response = await fetch(`${base}/assets/app.js`, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/javascript/);
  });

  it("never serves files outside the renderer folder", async () => {
    const response = await fetch(`${base}/..%2Fsecret.txt?token=${host.token}`);
    expect(await response.text()).not.toContain("not for the browser");
  });

  it("refuses a WebSocket without the token, or from another site's page", async () => {
    await expect(connectWebSocket(`ws://127.0.0.1:${host.port}/ws`)).rejects.toThrow(/401/);
    await expect(
      connectWebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, {
        origin: "https://evil.example",
      }),
    ).rejects.toThrow(/401/);
    const ok = await connectWebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, {
      origin: base,
    });
    ok.close();
  });
});
