// Lint rules that give the folder layout its meaning (see docs/architecture.md):
// contract/ and rpc/ are pure; services/, host/ and cli/ never import electron;
// the renderer reaches the main side only through @contract and @rpc.
import js from "@eslint/js";
import svelte from "eslint-plugin-svelte";
import globals from "globals";
import tseslint from "typescript-eslint";

const electron = { name: "electron", message: "Only src-main/electron may import electron." };
const nodeModules = {
  group: [
    "node:*",
    "fs",
    "path",
    "os",
    "child_process",
    "crypto",
    "better-sqlite3",
    "node-llama-cpp",
    "ws",
  ],
  message: "contract/ and rpc/ are pure: they run in the renderer too.",
};

export default tseslint.config(
  {
    ignores: [
      "out/",
      "node_modules/",
      "resources/",
      "test-results/",
      "playwright-report/",
      "native/**/build/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs["flat/recommended"],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      curly: ["error", "all"],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["src-main/contract/**/*.ts", "src-main/rpc/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { paths: [electron], patterns: [nodeModules] }] },
  },
  {
    files: ["src-main/services/**/*.ts", "src-main/host/**/*.ts", "src-main/cli/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { paths: [electron] }] },
  },
  {
    files: ["src-renderer/**/*.{ts,svelte}"],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [electron],
          patterns: [
            {
              group: ["**/src-main/**"],
              message: "Import the contract through @contract and the client through @rpc.",
            },
            nodeModules,
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.svelte", "**/*.svelte.ts"],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: [".svelte"] },
    },
  },
);
