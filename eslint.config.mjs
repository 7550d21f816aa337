// TypeScript lint (typescript-eslint) for the product, its tests, scripts, benchmarks and experiments.
// `npm test` runs it (`npm run lint`). Formatting is Prettier's (`npm run format:check`), not this file's.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "**/node_modules/**", "guest/**", "test/fixtures/**", "test/golden/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: { ...globals.node } },
    rules: {
      // The project compiles to CommonJS. `require(...) as typeof import(...)` is how a command loads
      // the Azure SDKs (or the program) only when it needs them, so `mailhost check` stays fast.
      "@typescript-eslint/no-require-imports": "off",
      // A leading underscore marks a value kept on purpose (a destructured field left out, a callback's position).
      // A variable a closure reads before its one assignment stays `let`.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // Pulumi's mock API hands resource inputs to tests as `any` (MockResourceArgs.inputs), and tests
      // read them as the provider would; a typed wrapper per resource type would restate the SDK.
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
);
