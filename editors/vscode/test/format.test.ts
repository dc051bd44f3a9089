// The text renderings shared by the output channel, panel and status bar.

import { strict as assert } from "node:assert";
import { test } from "node:test";
import { countdown, say, shortArgs, statusText, toolResultLine } from "../src/format";

test("countdown", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  const cases: [string | undefined, string][] = [
    ["2026-01-01T00:15:00Z", "15:00"],
    ["2026-01-01T00:00:09Z", "0:09"],
    ["2026-01-01T00:00:00Z", "expired"],
    ["not a time", ""],
    [undefined, ""],
  ];
  for (const [at, want] of cases) assert.equal(countdown(at, now), want, String(at));
});

test("shortArgs cuts long arguments and flattens whitespace", () => {
  assert.equal(shortArgs({ path: "a.go" }), '{"path":"a.go"}');
  assert.equal(shortArgs(undefined), "{}");
  const long = shortArgs({ content: "x".repeat(500) });
  assert.equal(long.length, 80);
  assert.ok(long.endsWith("…"));
});

test("statusText and toolResultLine", () => {
  assert.equal(statusText(undefined), "not logged in");
  assert.equal(statusText({ provider: "openai", type: "api", source: "env" }), "API key (OPENAI_API_KEY)");
  assert.equal(statusText({ provider: "openai", type: "oauth", accountId: "acct_1" }), "ChatGPT (acct_1)");
  assert.equal(toolResultLine("read", true), "[tool] read: ok");
  assert.equal(toolResultLine("write", false, "denied by the user\nmore"), "[tool] write: failed (denied by the user)");
});

test("say names deckhand once", () => {
  assert.equal(say("deckhand is not logged in."), "deckhand is not logged in.");
  assert.equal(say("The key was refused."), "deckhand: The key was refused.");
});
