// Bundles the extension (Node, vscode external) and the chat webview
// (browser) with esbuild into dist/, which is all the package needs to run.
import * as esbuild from "esbuild";

const prod = process.argv.includes("--production");
const common = { bundle: true, minify: prod, sourcemap: !prod, logLevel: "warning", legalComments: "none" };
await Promise.all([
  esbuild.build({ ...common, entryPoints: ["src/extension.ts"], outfile: "dist/extension.js", platform: "node", format: "cjs", target: "node18", external: ["vscode"] }),
  esbuild.build({ ...common, entryPoints: ["src/webview/main.ts"], outfile: "dist/webview.js", platform: "browser", format: "iife", target: "es2020" }),
]);
