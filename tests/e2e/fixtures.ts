import { test as base, expect } from "@playwright/test";
import { startHost, type RunningHost } from "./host.js";

export { starterModelPath, type LowbitHost, type RunningHost } from "./host.js";

/**
 * `host`: one real host per test file (tests in a file share it, in order); a new file gets a new
 * host and a fresh home. `page` fails the test on any console error or uncaught page error.
 */
export const test = base.extend<
  { host: RunningHost; consoleErrors: string[] },
  { hostPool: { forFile(file: string): Promise<RunningHost> } }
>({
  hostPool: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const pool: { current: { file: string; host: RunningHost } | null } = { current: null };
      await use({
        async forFile(file) {
          if (pool.current?.file !== file) {
            await pool.current?.host.stop();
            pool.current = null;
            pool.current = { file, host: await startHost() };
          }
          return pool.current.host;
        },
      });
      await pool.current?.host.stop();
    },
    { scope: "worker" },
  ],
  host: async ({ hostPool }, use, testInfo) => {
    await use(await hostPool.forFile(testInfo.file));
  },
  // Automatic: every test that opens a page fails on a console error or an uncaught exception.
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") {
          errors.push(message.text());
        }
      });
      page.on("pageerror", (error) => errors.push(error.message));
      await use(errors);
      expect(errors, "console errors on the page").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
