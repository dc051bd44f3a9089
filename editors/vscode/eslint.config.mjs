// ESLint for the extension (flat config): ESLint's and typescript-eslint's
// recommended rules over the TypeScript sources and tests. scripts/test.sh
// runs it before the tests, so `make test` fails on a finding.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["out/**", "dist/**", "node_modules/**", "test-results/**", "*.vsix"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      // An unused binding is a finding; a leading underscore says "unused on purpose".
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // JSON from the wire and the workbench's DOM are typed loosely on purpose.
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
  {
    // The vscode stub is put in place of the module with require (see test/support).
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // The UI tests' stand-in linter extension and the tests' MCP server, plain CommonJS.
    files: ["test/ui/fakelint/**/*.js", "test/support/*.js"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", exports: "writable", process: "readonly", setInterval: "readonly", clearInterval: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["scripts/**/*.mjs", "eslint.config.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
