import { readdirSync } from "node:fs";
import path from "node:path";
import type { DownloadRecord } from "../../../src-main/contract/index.js";
import type { DownloadOptions } from "../../../src-main/services/downloads/downloadService.js";
import { openLowbit, type Lowbit } from "../../../src-main/services/lowbit.js";

/** Retries fast enough for tests; stalls are noticed after 300 ms. */
export const fastRetry: DownloadOptions["retry"] = {
  baseDelayMs: 5,
  maxDelayMs: 40,
  maxFailures: 30,
  stallTimeoutMs: 300,
};

/** Real services over `home`, with the download queue running and fast retries. */
export function openApp(
  home: string,
  hubUrl: string,
  downloads: Partial<DownloadOptions> = {},
): Promise<Lowbit> {
  return openLowbit({
    home,
    shell: "test",
    registerStarterModel: false,
    downloads: {
      retry: fastRetry,
      env: { LOWBIT_HUB_URL: hubUrl },
      freeBytes: async () => 1e12,
      ...downloads,
    },
  });
}

/** Resolves with the first snapshot of download `id` that `until` accepts. */
export function waitForRecord(
  app: Lowbit,
  id: string,
  until: (record: DownloadRecord) => boolean,
  timeoutMs = 15_000,
): Promise<DownloadRecord> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      const last = app.downloads.list().find((d) => d.id === id);
      reject(
        new Error(`timed out; the download is ${JSON.stringify(last?.state)}: ${last?.detail}`),
      );
    }, timeoutMs);
    const check = (records: DownloadRecord[]): void => {
      const record = records.find((d) => d.id === id);
      if (record !== undefined && until(record)) {
        clearTimeout(timer);
        queueMicrotask(() => stop());
        resolve(record);
      }
    };
    const stop = app.downloads.changed.subscribe(check);
    check(app.downloads.list());
  });
}

/** The `.partial` files in the library folder. */
export function partials(home: string): string[] {
  return readdirSync(path.join(home, "models")).filter((f) => f.endsWith(".partial"));
}
