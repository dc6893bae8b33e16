import type { AppInfo } from "@contract";
import { connect, detectShell, setClient } from "../../api";
import { appService } from "../services/app";
import { errorData } from "../utils/errors";

/**
 * The window's link to Lowbit: connecting, open, or closed (the host stopped or the Electron
 * main process went away). Once closed it stays closed; the banner asks the user to reload.
 */
class ConnectionStore {
  status = $state<"connecting" | "open" | "closed" | "failed">("connecting");
  /** Why the connection failed or closed, in words. */
  problem = $state<string | null>(null);
  info = $state.raw<AppInfo | null>(null);
  readonly shell = detectShell();

  /** Connects and reads the app info; resolves false when there is no connection. */
  async start(): Promise<boolean> {
    try {
      const client = await connect();
      setClient(client);
      client.onClose((reason) => {
        this.status = "closed";
        this.problem = reason;
      });
      this.info = await appService.info();
      this.status = "open";
      return true;
    } catch (error) {
      this.status = "failed";
      this.problem = errorData(error).message;
      return false;
    }
  }
}

export const connection = new ConnectionStore();
