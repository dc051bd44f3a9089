// Every message deckhand writes is checked against the ACP JSON schema of the
// official package (schema/v1/schema.json): as a whole against the schema's
// "Agent" message, and its params or result against the definition its
// method names.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";

const require = createRequire(import.meta.url);
// The package's root: the folder above its entry point that holds schema/.
let root = dirname(require.resolve("@agentclientprotocol/sdk"));
while (!existsSync(join(root, "schema/v1/schema.json")) && dirname(root) !== root) root = dirname(root);
const schemaPath = join(root, "schema/v1/schema.json");
const schema = JSON.parse(readFileSync(schemaPath, "utf8"));

const ajv = new Ajv2020({ strict: false, allErrors: true });
// The schema's number formats (Rust's types) and its one string format.
const int = (lo: number, hi: number) => ({ type: "number" as const, validate: (n: number) => Number.isInteger(n) && n >= lo && n <= hi });
ajv.addFormat("int32", int(-(2 ** 31), 2 ** 31 - 1));
ajv.addFormat("int64", int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
ajv.addFormat("uint16", int(0, 2 ** 16 - 1));
ajv.addFormat("uint32", int(0, 2 ** 32 - 1));
ajv.addFormat("uint64", int(0, Number.MAX_SAFE_INTEGER));
ajv.addFormat("double", { type: "number", validate: (n: number) => Number.isFinite(n) });
ajv.addFormat("uri", (u: string) => { try { new URL(u); return true; } catch { return false; } });
ajv.addSchema(schema, "acp");
const agentMessage = ajv.compile({ $ref: "acp#/anyOf/0" });
const defs = new Map<string, ReturnType<typeof ajv.compile>>();
function def(name: string): ReturnType<typeof ajv.compile> {
  let v = defs.get(name);
  if (!v) {
    v = ajv.compile({ $ref: `acp#/$defs/${name}` });
    defs.set(name, v);
  }
  return v;
}

/** The result definition of each method a client calls. */
const results: Record<string, string> = {
  "initialize": "InitializeResponse",
  "authenticate": "AuthenticateResponse",
  "logout": "LogoutResponse",
  "session/new": "NewSessionResponse",
  "session/load": "LoadSessionResponse",
  "session/list": "ListSessionsResponse",
  "session/prompt": "PromptResponse",
  "session/set_config_option": "SetSessionConfigOptionResponse",
  "session/close": "CloseSessionResponse",
  "session/resume": "ResumeSessionResponse",
  "session/delete": "DeleteSessionResponse",
};

/** The params definition of each method deckhand calls or notifies. */
const params: Record<string, string> = {
  "session/update": "SessionNotification",
  "$/cancel_request": "CancelRequestNotification",
  "session/request_permission": "RequestPermissionRequest",
  "fs/read_text_file": "ReadTextFileRequest",
  "fs/write_text_file": "WriteTextFileRequest",
  "terminal/create": "CreateTerminalRequest",
  "terminal/output": "TerminalOutputRequest",
  "terminal/wait_for_exit": "WaitForTerminalExitRequest",
  "terminal/kill": "KillTerminalRequest",
  "terminal/release": "ReleaseTerminalRequest",
  "elicitation/create": "CreateElicitationRequest",
  "elicitation/complete": "CompleteElicitationNotification",
};

/** Checks the messages of one connection: what the client sent tells what each answer must be. */
export class Checker {
  private sent = new Map<string, string>(); // request id -> method

  constructor(private readonly violations: string[]) {}

  /** A line the client wrote. */
  clientLine(line: string): void {
    try {
      const m = JSON.parse(line);
      if (m && m.method && m.id !== undefined) this.sent.set(JSON.stringify(m.id), m.method);
    } catch {
      // the tests send malformed lines on purpose
    }
  }

  /** A line deckhand wrote. */
  agentLine(line: string): void {
    if (line.trim() === "") return;
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(line);
    } catch {
      this.violations.push(`not JSON: ${line.slice(0, 200)}`);
      return;
    }
    // The last errors of a oneOf say most: the branch that came nearest.
    const fail = (what: string, errors: { instancePath: string; message?: string }[] | null | undefined) =>
      this.violations.push(`${what}: ${(errors ?? []).slice(-3).map((e) => `${e.instancePath} ${e.message}`).join("; ")} in ${line.slice(0, 300)}`);
    if (!agentMessage(m)) fail("not an ACP agent message", agentMessage.errors);
    if (typeof m.method === "string") {
      const name = params[m.method];
      if (!name) {
        fail(`unknown method ${m.method}`, null);
        return;
      }
      const v = def(name);
      if (!v(m.params)) fail(`${m.method} params`, v.errors);
      return;
    }
    const method = this.sent.get(JSON.stringify(m.id));
    if ("error" in m) {
      const v = def("Error");
      if (!v(m.error)) fail("error", v.errors);
      return;
    }
    const name = method ? results[method] : undefined;
    if (!name) return; // session/set_model: legacy, not in the schema
    const v = def(name);
    if (!v(m.result)) fail(`${method} result`, v.errors);
  }
}

/** Splits a byte stream into lines. */
export function lines(onLine: (line: string) => void): (chunk: Uint8Array) => void {
  const dec = new TextDecoder();
  let buf = "";
  return (chunk) => {
    buf += dec.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  };
}
