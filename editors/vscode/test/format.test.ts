// The text renderings shared by the output channel, panel and status bar.

import { strict as assert } from "node:assert";
import { test } from "node:test";
import { applyUnified, countdown, limitsText, say, shortArgs, statusText, toolResultLine, toolSummary } from "../src/format";

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

test("applyUnified: a preview's diff applied to the file, or undefined when it does not match", () => {
  const before = "a\nb\nc\nd\ne\n";
  const diff = "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -5 +5,2 @@\n e\n+f\n";
  assert.equal(applyUnified(before, diff), "a\nB\nc\nd\ne\nf\n");
  assert.equal(applyUnified("", "--- /dev/null\n+++ b/n\n@@ -0,0 +1,2 @@\n+x\n+y\n"), "x\ny\n");
  assert.equal(applyUnified("a\nX\nc\n", diff), undefined);
});

test("toolSummary: an apply_patch names its files, an exec_command its command", () => {
  assert.equal(toolSummary("apply_patch", { input: "*** Begin Patch\n*** Add File: a.md\n+x\n*** Update File: b.go\n*** Delete File: c.txt\n*** End Patch" }), "+a.md b.go -c.txt");
  assert.equal(toolSummary("exec_command", { cmd: "go test ./..." }), "go test ./...");
});

test("limitsText: each window by name with its rounded use", () => {
  assert.equal(limitsText([{ name: "5h", usedPercent: 12.4 }, { name: "weekly", usedPercent: 40 }]), "5h 12% · weekly 40%");
  assert.equal(limitsText([]), "");
  assert.equal(limitsText(undefined), "");
});
