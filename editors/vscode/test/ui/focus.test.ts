// Where the keys go and how the panel keeps up, in a real workbench (see
// workbench.ts): after answering a review the focus is back in the chat, a
// long answer streams without stalling the panel, and a question asked while
// the chat is hidden comes forward.
//
// The cases run in order against one fake whose model steps are consumed in
// that order.

import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { fake, openChat, opts, page, runCommand, send, shot, start, step, stop, ui } from "./workbench";

const source = "export const greeting = 'hello';\n";

before(() =>
  start(
    [
      // focus after the review
      { calls: [{ id: "e1", name: "edit", arguments: { path: "notes.txt", oldString: "old", newString: "new" } }] },
      { text: "Edited the notes." },
    ],
    {
      apiKey: "sk-fake",
      files: { "main.ts": source, "notes.txt": "old notes\n" },
      // As the user had it: what lands in the source file is written at once.
      settings: { "files.autoSave": "afterDelay", "files.autoSaveDelay": 100 },
    },
  ),
);

after(stop);

test("answering a review from the keyboard leaves the focus in the chat, not in the user's file", opts, () =>
  ui("focus-after-review", async () => {
    // A source file open (kept, not a preview) in the editor.
    await page.keyboard.press("F1");
    const q = page.locator(".quick-input-widget input");
    await q.fill("main.ts");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "main.ts" }).first().click({ timeout: step });
    const editor = page.locator(".editor-instance .monaco-editor .view-lines", { hasText: "greeting" });
    await editor.waitFor({ timeout: step });
    await runCommand("View: Keep Editor");
    const v = await openChat();
    await send(v, "update the notes");
    const card = v.locator(".permission.pending");
    await card.waitFor({ timeout: step });
    await page.locator(".tabs-container .tab", { hasText: "notes.txt: proposed edit" }).waitFor({ timeout: step });
    // The keys exactly as the user pressed them: Shift+Tab to Allow, Enter, then typing.
    await page.keyboard.press("Shift+Tab");
    assert.equal(await v.locator(":focus").innerText(), "Allow", "Shift+Tab from the input reaches Allow");
    await page.keyboard.press("Enter");
    await v.getByText("Edited the notes.").waitFor({ timeout: step });
    await page.locator(".tabs-container .tab", { hasText: "notes.txt: proposed edit" }).waitFor({ state: "detached", timeout: step });
    assert.equal(fs.readFileSync(path.join(fake.workspace, "notes.txt"), "utf8"), "new notes\n");
    await page.keyboard.type("xyz");
    await page.waitForTimeout(500); // longer than the autosave delay
    assert.equal(await v.locator("#msg").inputValue(), "xyz", "the keys went to the chat's input");
    assert.equal(fs.readFileSync(path.join(fake.workspace, "main.ts"), "utf8"), source, "the source file is untouched");
    assert.equal(await page.locator(".editor-instance .monaco-editor .view-lines", { hasText: "xyz" }).count(), 0);
    await shot("focus-after-review");
    await v.locator("#msg").fill("");
  }));
