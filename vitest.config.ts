import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const contract = new URL("./src-main/contract/index.ts", import.meta.url);

// Test tiers, selectable by name: `vitest run --project unit`.
// Model tests load real GGUFs through node-llama-cpp in worker processes: one file at a time,
// because two model processes on a 2-core machine only slow each other down.
export default defineConfig({
  test: {
    projects: [
      {
        // The renderer's pure helpers are unit-tested too; they import the contract by its alias.
        resolve: { alias: { "@contract": fileURLToPath(contract) } },
        test: { name: "unit", include: ["tests/unit/**/*.test.ts"], testTimeout: 20_000 },
      },
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
