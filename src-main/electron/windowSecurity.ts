import { app, shell } from "electron";
import { APP_ORIGIN } from "./appProtocol.js";

/**
 * Every window stays on our own origin: navigation elsewhere is blocked, new windows are refused,
 * and https links open in the user's browser instead. No webviews, no permission prompts.
 */
export function lockDownWebContents(): void {
  app.on("web-contents-created", (_event, contents) => {
    contents.on("will-navigate", (event, url) => {
      if (new URL(url).origin !== APP_ORIGIN) {
        event.preventDefault();
      }
    });
    contents.on("will-attach-webview", (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith("https://")) {
        void shell.openExternal(url);
      }
      return { action: "deny" };
    });
    contents.session.setPermissionRequestHandler((_contents, _permission, callback) =>
      callback(false),
    );
  });
}
