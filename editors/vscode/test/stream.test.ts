// The webview's streamed markdown: finished blocks are rendered once and the
// open block again, which must give the same HTML as rendering the whole text.

import { strict as assert } from "node:assert";
import { test } from "node:test";
import MarkdownIt from "markdown-it";
import { finishedPrefix } from "../src/view";

const md = new MarkdownIt({ html: false, linkify: true });

const doc = [
  "## Plan",
  "",
  "First a paragraph that runs",
  "over two lines.",
  "",
  "```ts",
  "const a = 1;",
  "",
  "",
  "const b = 2;",
  "```",
  "",
  "- one",
  "- two",
  "",
  "  still the second item",
  "",
  "1. first",
  "2. second",
  "",
  "    indented code",
  "",
  "    more of it",
  "",
  "> a quote",
  "",
  "~~~",
  "tilde fence with a blank",
  "",
  "line",
  "~~~",
  "",
  "The end.",
  "",
].join("\n");

/** Streams text in steps of n characters as the webview does: the HTML at the end, and the largest text rendered again. */
function stream(text: string, n: number): { html: string; maxOpen: number } {
  const blocks: string[] = [];
  let done = 0;
  let open = "";
  let maxOpen = 0;
  for (let end = n; end < text.length + n; end += n) {
    const now = text.slice(0, Math.min(end, text.length));
    const cut = done + finishedPrefix(now.slice(done));
    if (cut > done) {
      blocks.push(md.render(now.slice(done, cut)));
      done = cut;
    }
    open = md.render(now.slice(done));
    maxOpen = Math.max(maxOpen, now.length - done);
  }
  return { html: blocks.join("") + open, maxOpen };
}

test("streamed in small steps, the blocks render to the same HTML as the whole text", () => {
  for (const n of [1, 3, 8, 50]) assert.equal(stream(doc, n).html, md.render(doc), `steps of ${n}`);
});

test("a blank line inside a fenced code block does not finish a block", () => {
  const text = "```\na\n\nb\n";
  assert.equal(finishedPrefix(text), 0);
  assert.equal(finishedPrefix(text + "```\n\nafter\n"), text.length + 5);
});

test("only the open block is rendered again: a 40 KB answer of paragraphs re-renders one paragraph at a time", () => {
  const para = "A sentence of the long answer, repeated to make a paragraph. ".repeat(4).trim();
  const long = Array.from({ length: 40_000 / (para.length + 2) }, () => para).join("\n\n");
  const { html, maxOpen } = stream(long, 8);
  assert.equal(html, md.render(long));
  assert.ok(maxOpen < 2 * para.length + 10, `re-rendered up to ${maxOpen} characters`);
});
