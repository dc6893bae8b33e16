import type { AppInfo } from "@contract";
import { client } from "../../api";

/** App-level calls: what this install is, and the OS file dialog (Electron only). */
export const appService = {
  info(): Promise<AppInfo> {
    return client().call("app.info", {});
  },
  /** Resolves to null when the user cancels the dialog. */
  async pickModelFile(): Promise<string | null> {
    return (await client().call("app.pickModelFile", {})).path;
  },
  onClose(listener: (reason: string) => void): () => void {
    return client().onClose(listener);
  },
};
