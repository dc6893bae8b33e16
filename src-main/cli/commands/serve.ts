import { spawn } from "node:child_process";
import path from "node:path";
import { startHost } from "../../host/hostServer.js";
import { packageRoot } from "../../services/config/paths.js";
import type { Lowbit } from "../../services/lowbit.js";
import { intOption, parseCommand } from "../args.js";
import type { Output } from "../output.js";

/** Serves the app to a browser on 127.0.0.1 until interrupted. */
export async function serveCommand(app: Lowbit, args: string[], out: Output): Promise<void> {
  const { values } = parseCommand("serve", args, {
    port: { type: "string" },
    "no-open": { type: "boolean" },
  });
  const host = await startHost({
    app,
    rendererDir: process.env.LOWBIT_RENDERER_DIR ?? path.join(packageRoot(), "out", "renderer"),
    port: intOption("serve", "port", values.port, 0, 65535) ?? 0,
    log: (line) => out.note(line),
  });
  out.result(
    { url: host.url, port: host.port, token: host.token },
    () =>
      `Lowbit is running at ${host.url}\nOpen that address in a browser (it carries this session's access token). Ctrl+C stops it.`,
  );
  if (values["no-open"] !== true) {
    openBrowser(host.url, out);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await host.close();
}

function openBrowser(url: string, out: Output): void {
  const command =
    process.platform === "darwin" ? "open" : process.platform === "win32" ? "cmd" : "xdg-open";
  const args = process.platform === "win32" ? ["/c", "start", "", url] : [url];
  try {
    const child = spawn(command, args, { detached: true, stdio: "ignore" });
    child.on("error", () =>
      out.note("(No browser could be opened here; open the address above yourself.)"),
    );
    child.unref();
  } catch {
    out.note("(No browser could be opened here; open the address above yourself.)");
  }
}
