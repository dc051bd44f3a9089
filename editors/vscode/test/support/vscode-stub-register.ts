// Preloaded with --require: makes require("vscode") load the recording stub,
// leaving every other module to the normal resolver.

import Module = require("node:module");
import * as path from "node:path";

const stub = path.join(__dirname, "vscode-stub.js");
const m = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const original = m._resolveFilename;
m._resolveFilename = function (request: string, ...rest: unknown[]): string {
  if (request === "vscode") return stub;
  return original.call(this, request, ...rest);
};
