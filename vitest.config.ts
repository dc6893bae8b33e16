import { defineConfig } from "vitest/config";

// Test tiers, selectable by name: `vitest run --project unit`.
// Model tests load real GGUFs through node-llama-cpp in worker processes: one file at a time,
// because two model processes on a 2-core machine only slow each other down.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["tests/unit/**/*.test.ts"], testTimeout: 20_000 } },
      {
        test: { name: "contract", include: ["tests/contract/**/*.test.ts"], testTimeout: 20_000 },
      },
      {
        test: {
          name: "model",
          include: ["tests/model/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
