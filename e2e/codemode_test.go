package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// execOutput is the output the model got for call id in request n: a
// custom call's, or a function call's.
func execOutput(t *testing.T, reqs []upstreamtest.Request, n int, id string) string {
	t.Helper()
	if n >= len(reqs) {
		t.Fatalf("only %d requests", len(reqs))
	}
	if out, ok := upstreamtest.CallOutput(reqs[n].JSON(), id); ok {
		return out
	}
	return outputsOf(input(t, reqs, n))[id]
}

// The default model is a code-mode entry: the request offers exec and wait,
// and its exec call runs a script whose tool calls go through the same
// permission and reporting as direct ones.
func TestCodeModeScriptRunsNestedTools(t *testing.T) {
	t.Parallel()
	fake, p := permissionServer(t, "allow", "allow", "allow", "allow")
	if err := os.WriteFile(filepath.Join(p.ws, "seed.txt"), []byte("seed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `const listing = await tools.exec_command({cmd: "ls"});
await tools.apply_patch("*** Begin Patch\n*** Add File: made.txt\n+from a script\n*** End Patch");
console.log("listed:", listing.includes("seed.txt"));
return await tools.exec_command({cmd: "cat made.txt"});`
	fake.PushCodex(upstreamtest.Step().CustomCall("x1", "exec", script).Reply(), upstreamtest.Text("done"))
	r := p.chat(map[string]any{"message": "use a script"})
	if r.StopReason != "end_turn" || r.Steps != 2 {
		t.Fatalf("result %+v", r)
	}
	if b, err := os.ReadFile(filepath.Join(p.ws, "made.txt")); err != nil || strings.TrimSpace(string(b)) != "from a script" {
		t.Fatalf("made.txt: %q %v", b, err)
	}
	reqs := fake.RequestsTo(codexPath)
	names := toolNames(reqs[0])
	if strings.Join(names, ",") != "exec,wait" {
		t.Errorf("the request offers %v, want exec and wait alone", names)
	}
	out := execOutput(t, reqs, 1, "x1")
	for _, want := range []string{"finished", "listed: true", "from a script"} {
		if !strings.Contains(out, want) {
			t.Errorf("the model's exec output lacks %q:\n%s", want, out)
		}
	}

	// The patch asked first, with its preview, under its own call id.
	p.mu.Lock()
	reqsPerm := p.requests
	p.mu.Unlock()
	var asked bool
	for _, req := range reqsPerm {
		var perm struct {
			CallID, Tool string
			Preview      json.RawMessage
		}
		json.Unmarshal(req.Params, &perm)
		if perm.Tool == "apply_patch" {
			asked = perm.CallID == "x1/1.2" && len(perm.Preview) > 0 && string(perm.Preview) != "null"
		}
	}
	if !asked {
		t.Errorf("no permission request with a preview for the nested apply_patch")
	}

	// Every call reached the editor; the nested ones name their parent.
	type call struct{ CallID, Name, ParentCallID string }
	var calls, results []call
	for _, n := range p.notifications("chat/toolCall") {
		var c call
		json.Unmarshal(n.Params, &c)
		calls = append(calls, c)
	}
	for _, n := range p.notifications("chat/toolResult") {
		var c call
		json.Unmarshal(n.Params, &c)
		results = append(results, c)
	}
	want := []call{{"x1", "exec", ""}, {"x1/1.1", "exec_command", "x1"}, {"x1/1.2", "apply_patch", "x1"}, {"x1/1.3", "exec_command", "x1"}}
	if len(calls) != len(want) {
		t.Fatalf("toolCall notifications %+v", calls)
	}
	for i, w := range want {
		if calls[i] != w {
			t.Errorf("toolCall %d = %+v, want %+v", i, calls[i], w)
		}
	}
	if len(results) != 4 || results[3] != want[0] || results[0] != want[1] {
		t.Errorf("toolResult notifications %+v", results)
	}
}

func TestCodeModeThrowingScript(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{})
	fake.PushCodex(upstreamtest.Step().CustomCall("x1", "exec", `await tools.view_image({path: "missing.png"}); console.log("unreached")`).Reply(),
		upstreamtest.Text("ok"))
	p.chat(map[string]any{"message": "fail"})
	out := execOutput(t, fake.RequestsTo(codexPath), 1, "x1")
	if !strings.Contains(out, "failed") || !strings.Contains(out, "missing.png") || strings.Contains(out, "unreached") {
		t.Errorf("the model's exec output:\n%s", out)
	}
}

// Cancel stops a script that never ends, and the session takes its next
// turn. Uncancelled, the script would run out its 60 s of CPU; the bound
// below is far from that, and far from what a busy machine may take to
// cancel (a second was asked before, which a loaded run could miss).
func TestCodeModeCancelEndlessLoop(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{})
	fake.PushCodex(upstreamtest.Step().CustomCall("x1", "exec", "for (;;) {}").Reply())
	_, ch := p.send("chat", map[string]any{"message": "spin"})
	tc := p.waitFor("chat/toolCall", nil, 20*time.Second)
	var ref struct{ SessionID string }
	json.Unmarshal(tc.Params, &ref)
	time.Sleep(100 * time.Millisecond) // the loop is spinning
	start := time.Now()
	p.ok("cancel", map[string]any{"sessionId": ref.SessionID}, nil)
	res, err := p.await(ch, "chat")
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 15*time.Second {
		t.Errorf("the endless loop stopped %v after cancel", elapsed)
	}
	if r := decode[chatResult](t, res); r.StopReason != "cancelled" {
		t.Fatalf("result %+v", r)
	}
	fake.PushCodex(upstreamtest.Step().CustomCall("x2", "exec", "return 6 * 7").Reply(), upstreamtest.Text("back"))
	if r := p.chat(map[string]any{"message": "again", "sessionId": ref.SessionID}); r.Text != "back" {
		t.Fatalf("next turn %+v", r)
	}
	if out := execOutput(t, fake.RequestsTo(codexPath), 2, "x2"); !strings.Contains(out, "42") {
		t.Errorf("the next script's output:\n%s", out)
	}
}

// The session's MCP tools are nested in exec too, asked and reported like
// the others.
func TestCodeModeNestsMCPTools(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	writeJSON(t, filepath.Join(home, "config.json"), map[string]any{"mcpServers": map[string]any{
		"test": mcpStdio(t, "", nil),
	}})
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home})
	p.onRequest = func(m msg) any {
		if m.Method == "permission/request" {
			return map[string]any{"decision": "allow"}
		}
		return nil
	}
	p.initialize(true)
	fake.PushCodex(upstreamtest.Step().CustomCall("x1", "exec", `console.log(await tools.mcp__test__echo({text: "hi"}))`).Reply(),
		upstreamtest.Text("done"))
	p.chat(map[string]any{"message": "echo through a script"})
	if out := execOutput(t, fake.RequestsTo(codexPath), 1, "x1"); !strings.Contains(out, "echo: hi") {
		t.Errorf("the model's exec output:\n%s", out)
	}
	var nested struct{ CallID, Name, ParentCallID string }
	for _, n := range p.notifications("chat/toolCall") {
		json.Unmarshal(n.Params, &nested)
		if nested.Name == "mcp__test__echo" {
			break
		}
	}
	if nested.Name != "mcp__test__echo" || nested.ParentCallID != "x1" {
		t.Errorf("the nested MCP call was reported as %+v", nested)
	}
}
