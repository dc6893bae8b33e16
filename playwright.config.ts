import { defineConfig } from "@playwright/test";

// End-to-end tests: Debian's Chromium against a real `lowbit serve` on 127.0.0.1 (one host per
// test file, each in a fresh temp home). They need `npm run build` first (`npm test` does it).
export default defineConfig({
  testDir: "tests/e2e",
  testMatch: "*.spec.ts",
  globalSetup: "./tests/e2e/globalSetup.ts",
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    viewport: { width: 1280, height: 800 },
    // Software-rendered animations (caret, pulsing dot) compete with the model for 2 cores.
    reducedMotion: "reduce",
    launchOptions: {
      executablePath: process.env.LOWBIT_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
});
