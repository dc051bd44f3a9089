package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// userTexts lists the text of the user messages of a request's input.
func userTexts(items []map[string]any) []string {
	var out []string
	for _, it := range items {
		if it["role"] != "user" {
			continue
		}
		switch c := it["content"].(type) {
		case string:
			out = append(out, c)
		case []any:
			var b strings.Builder
			for _, part := range c {
				if m, ok := part.(map[string]any); ok {
					s, _ := m["text"].(string)
					b.WriteString(s)
				}
			}
			out = append(out, b.String())
		}
	}
	return out
}

// A session starts with the environment context and the root's AGENTS.md,
// and picks up a nested AGENTS.md once it works in that directory.
func TestProjectInstructionsReachTheModel(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home, ws := t.TempDir(), t.TempDir()
	writeFile(t, ws, "AGENTS.md", "Always run go vet before you finish.\n")
	writeFile(t, ws, "svc/api/AGENTS.md", "Handlers in svc/api return typed errors.\n")
	writeFile(t, ws, "svc/api/h.go", "package api\n")
	writeFile(t, ws, "other/AGENTS.md", "Never seen: nothing works here.\n")
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home, ws: ws})
	init := p.initialize(false)
	if got, _ := init["instructions"].([]any); len(got) != 1 || got[0] != filepath.Join(p.ws, "AGENTS.md") {
		t.Errorf("initialize instructions %v", init["instructions"])
	}
	caps, _ := init["capabilities"].(map[string]any)
	for _, c := range []string{"preview", "undo", "attachments", "compaction"} {
		if caps[c] != true {
			t.Errorf("capabilities %v lack %s", caps, c)
		}
	}
	fake.PushCodex(upstreamtest.Step().Call("r1", "read", `{"path":"svc/api/h.go"}`).Reply(), upstreamtest.Text("done"))
	p.chat(map[string]any{"message": "look at the handler"})
	reqs := fake.RequestsTo(codexPath)
	first := userTexts(input(t, reqs, 0))
	if len(first) != 3 {
		t.Fatalf("first request's user messages: %q", first)
	}
	env := first[0]
	for _, want := range []string{"<environment_context>", "<cwd>" + p.ws + "</cwd>", "<shell>bash</shell>",
		"<current_date>" + time.Now().Format("2006-01-02")[:7], "<timezone>", "<os>"} {
		if !strings.Contains(env, want) {
			t.Errorf("environment context lacks %q:\n%s", want, env)
		}
	}
	wantRoot := "# AGENTS.md instructions for " + p.ws + "\n\n<INSTRUCTIONS>\nAlways run go vet before you finish.\n</INSTRUCTIONS>"
	if first[1] != wantRoot || first[2] != "look at the handler" {
		t.Errorf("first request: %q", first[1:])
	}
	second := userTexts(input(t, reqs, 1))
	last := second[len(second)-1]
	if !strings.HasPrefix(last, "# AGENTS.md instructions for "+filepath.Join(p.ws, "svc/api")) || !strings.Contains(last, "typed errors") {
		t.Errorf("the nested AGENTS.md did not follow the read: %q", second)
	}
	for _, s := range second {
		if strings.Contains(s, "Never seen") {
			t.Errorf("an AGENTS.md off the path was sent")
		}
	}
}

// Instructions over 32 KiB are cut, and the model is told so.
func TestProjectInstructionsCapped(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home, ws := t.TempDir(), t.TempDir()
	writeFile(t, ws, "AGENTS.md", strings.Repeat("rule number one, again and again\n", 2000)+"LAST RULE\n")
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home, ws: ws})
	p.initialize(false)
	fake.PushCodex(upstreamtest.Text("ok"))
	p.chat(map[string]any{"message": "hi"})
	texts := userTexts(input(t, fake.RequestsTo(codexPath), 0))
	instr := texts[1]
	if len(instr) > 33<<10 || !strings.Contains(instr, "AGENTS.md cut here") || strings.Contains(instr, "LAST RULE") {
		t.Errorf("instructions of %d bytes, cut marker %v", len(instr), strings.Contains(instr, "cut here"))
	}
}

// Attachments reach the model in the user's message, with their paths and
// ranges; a bad one is refused before anything is sent.
func TestAttachmentsReachTheModel(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{})
	writeFile(t, p.ws, "pkg/calc.go", "package calc\n\nfunc Add(a, b int) int {\n\treturn a - b\n}\n")
	fake.PushCodex(upstreamtest.Text("Add subtracts."))
	p.chat(map[string]any{"message": "why is Add wrong?", "attachments": []any{
		map[string]any{"type": "file", "path": "pkg/calc.go", "range": map[string]any{"startLine": 3, "endLine": 5}},
		map[string]any{"type": "selection", "path": "pkg/calc.go", "range": map[string]any{"startLine": 4, "endLine": 4}, "text": "\treturn a + b // unsaved\n"},
		map[string]any{"type": "text", "title": "test output", "text": "--- FAIL: TestAdd (0.00s)\n"},
	}})
	texts := userTexts(input(t, fake.RequestsTo(codexPath), 0))
	msg := texts[len(texts)-1]
	for _, want := range []string{"why is Add wrong?",
		"<file path=\"pkg/calc.go\" lines=\"3-5\">\nfunc Add(a, b int) int {\n\treturn a - b\n}\n</file>",
		"<selection path=\"pkg/calc.go\" lines=\"4-4\">\n\treturn a + b // unsaved\n</selection>",
		"<text title=\"test output\">\n--- FAIL: TestAdd (0.00s)\n</text>"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	before := len(fake.RequestsTo(codexPath))
	outside := writeFile(t, t.TempDir(), "secret.txt", "s3cret\n")
	for _, att := range []map[string]any{
		{"type": "file", "path": outside},
		{"type": "file", "path": "../secret.txt"},
		{"type": "file", "path": "pkg/missing.go"},
		{"type": "selection", "path": "pkg/calc.go", "text": "no range"},
		{"type": "movie", "path": "pkg/calc.go"},
	} {
		e := p.fails("chat", map[string]any{"message": "look", "attachments": []any{att}}, -32602)
		if strings.Contains(e.Message, "s3cret") || !strings.Contains(e.Message, "attachments[0]") {
			t.Errorf("%v: %q", att, e.Message)
		}
	}
	if n := len(fake.RequestsTo(codexPath)); n != before {
		t.Errorf("%d requests were sent for refused attachments", n-before)
	}
}

// afterContext drops the items a session starts with (its environment
// context and project instructions), for tests about what follows them.
func afterContext(items []map[string]any) []map[string]any {
	for len(items) > 0 {
		c, ok := items[0]["content"].(string)
		if !ok {
			c = itemText(items[0])
		}
		if items[0]["role"] != "user" || !(strings.HasPrefix(c, "<environment_context>") || strings.HasPrefix(c, "# AGENTS.md instructions for ")) {
			break
		}
		items = items[1:]
	}
	return items
}
