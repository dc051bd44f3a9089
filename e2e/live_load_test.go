package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// liveCalls is what the editor was told live of each call: its
// chat/toolCall and its chat/toolResult, by callId, in the order the
// calls were announced.
func liveCalls(t *testing.T, p *proc) (order []string, calls, results map[string]map[string]any) {
	t.Helper()
	calls, results = map[string]map[string]any{}, map[string]map[string]any{}
	for _, n := range p.notifications("chat/toolCall") {
		c := decode[map[string]any](t, n.Params)
		id, _ := c["callId"].(string)
		order = append(order, id)
		calls[id] = c
	}
	for _, n := range p.notifications("chat/toolResult") {
		r := decode[map[string]any](t, n.Params)
		id, _ := r["callId"].(string)
		results[id] = r
	}
	return order, calls, results
}

// sameAsLive checks that each tool of a loaded transcript turn carries
// exactly what the live chat/toolResult of the call did (every field but
// the session and turn, which the transcript says once), and the
// arguments and parent of its chat/toolCall: one rendering path serves
// both. It returns the loaded tools' callIds in order.
func sameAsLive(t *testing.T, p *proc, loaded []map[string]any) []string {
	t.Helper()
	_, calls, results := liveCalls(t, p)
	var ids []string
	for _, tool := range loaded {
		id, _ := tool["callId"].(string)
		ids = append(ids, id)
		live, ok := results[id]
		if !ok {
			t.Errorf("loaded call %s was never reported live", id)
			continue
		}
		want := map[string]any{}
		for k, v := range live {
			if k != "sessionId" && k != "turnId" {
				want[k] = v
			}
		}
		want["arguments"] = calls[id]["arguments"]
		if !reflect.DeepEqual(tool, want) {
			got, _ := json.Marshal(tool)
			exp, _ := json.Marshal(want)
			t.Errorf("call %s loaded as\n  %s\nlive it was\n  %s", id, got, exp)
		}
	}
	return ids
}

// A turn with a call the user denied with a reason, an edit they allowed
// for the session, one that ran by that allow, a command that exited
// non-zero in the sandbox and a read-only call: each live chat/toolResult carries the
// same fields, with the same values, as sessions/load gives that call after
// a restart, permission included.
func TestLiveToolResultsMatchTheLoadedTranscript(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home, ws := t.TempDir(), t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	writeFile(t, ws, "main.go", "package main\n\nfunc main() {}\n")
	p := start(t, opts{fake: fake, home: home, ws: ws})
	p.answerPermissionsInOrder([]map[string]any{{"decision": "deny", "reason": "not the config"}, {"decision": "allowAlways"}})
	p.initialize(true)
	fake.PushCodex(
		upstreamtest.Step().Text("First the config.").Call("w1", "write", `{"path":"config.toml","content":"x=1"}`).Reply(),
		upstreamtest.Step().Call("e1", "edit", `{"path":"main.go","oldString":"func main() {}","newString":"func main() { println(1) }"}`).Reply(),
		upstreamtest.Step().Call("e2", "edit", `{"path":"main.go","oldString":"println(1)","newString":"println(2)"}`).
			Call("b1", "bash", `{"command":"echo out; exit 3"}`).Call("r1", "read", `{"path":"main.go"}`).Reply(),
		upstreamtest.Text("Done."))
	r := p.chat(map[string]any{"message": "tidy this"})
	if r.StopReason != "end_turn" {
		t.Fatalf("chat %+v", r)
	}
	_, _, results := liveCalls(t, p)
	if perm, _ := results["w1"]["permission"].(map[string]any); perm["decision"] != "deny" || perm["by"] != "user" || perm["reason"] != "not the config" {
		t.Errorf("the live result of the denied write says permission %v", results["w1"]["permission"])
	}
	if perm, _ := results["e2"]["permission"].(map[string]any); perm["decision"] != "allow" || perm["by"] != "session" {
		t.Errorf("the live result of the edit allowed for the session says permission %v", results["e2"]["permission"])
	}
	if _, ok := results["r1"]["permission"]; ok {
		t.Errorf("a read-only call has a permission: %v", results["r1"])
	}
	if code, _ := results["b1"]["exitCode"].(float64); code != 3 {
		t.Errorf("the failing command's live result %v", results["b1"])
	}
	p.stop()

	q := another(t, fake, home, ws)
	var tr struct {
		Turns []struct {
			Tools []map[string]any `json:"tools"`
		} `json:"turns"`
	}
	q.ok("sessions/load", map[string]any{"sessionId": r.SessionID}, &tr)
	if len(tr.Turns) != 1 {
		t.Fatalf("turns %+v", tr.Turns)
	}
	if ids := sameAsLive(t, p, tr.Turns[0].Tools); len(ids) != 5 {
		t.Errorf("loaded calls %v, want the 5 that ran", ids)
	}
}

// A code-mode turn reopened after a restart shows the calls its script
// made, in the order it made them, right after the exec call, each naming
// it as parentCallId and carrying what its live chat/toolResult did.
func TestCodeModeNestedCallsSurviveARestart(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home, ws := t.TempDir(), t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	writeFile(t, ws, "seed.txt", "seed\n")
	p := start(t, opts{fake: fake, home: home, ws: ws})
	p.answerPermissionsInOrder([]map[string]any{{"decision": "deny", "reason": "not that file"}, {"decision": "allow"}})
	p.initialize(true)
	script := `const listing = await tools.exec_command({cmd: "ls"});
try { await tools.apply_patch("*** Begin Patch\n*** Add File: no.txt\n+no\n*** End Patch") } catch (e) {}
await tools.apply_patch("*** Begin Patch\n*** Add File: made.txt\n+from a script\n*** End Patch");
return listing.includes("seed.txt");`
	fake.PushCodex(upstreamtest.Step().Text("A script.").CustomCall("x1", "exec", script).Reply(), upstreamtest.Text("Done."))
	r := p.chat(map[string]any{"message": "use a script"})
	if r.StopReason != "end_turn" {
		t.Fatalf("chat %+v", r)
	}
	order, _, _ := liveCalls(t, p)
	if want := "x1 x1/1.1 x1/1.2 x1/1.3"; strings.Join(order, " ") != want {
		t.Fatalf("live calls %v, want %s", order, want)
	}
	p.stop()

	q := another(t, fake, home, ws)
	var tr struct {
		Turns []struct {
			Steps []struct {
				Kind   string `json:"kind"`
				Text   string `json:"text"`
				CallID string `json:"callId"`
			} `json:"steps"`
			Tools        []map[string]any `json:"tools"`
			ChangedPaths []string         `json:"changedPaths"`
		} `json:"turns"`
	}
	q.ok("sessions/load", map[string]any{"sessionId": r.SessionID}, &tr)
	if len(tr.Turns) != 1 {
		t.Fatalf("turns %+v", tr.Turns)
	}
	turn := tr.Turns[0]
	var steps []string
	for _, s := range turn.Steps {
		steps = append(steps, s.Kind+":"+s.Text+s.CallID)
	}
	if want := []string{"text:A script.", "tool:x1", "tool:x1/1.1", "tool:x1/1.2", "tool:x1/1.3", "text:Done."}; fmt.Sprint(steps) != fmt.Sprint(want) {
		t.Errorf("steps %q, want %q", steps, want)
	}
	if ids := sameAsLive(t, p, turn.Tools); strings.Join(ids, " ") != strings.Join(order, " ") {
		t.Errorf("loaded calls %v, live %v", ids, order)
	}
	byID := map[string]map[string]any{}
	for _, tool := range turn.Tools {
		byID[tool["callId"].(string)] = tool
	}
	if denied, _ := byID["x1/1.2"]["permission"].(map[string]any); byID["x1/1.2"]["parentCallId"] != "x1" || denied["decision"] != "deny" || denied["reason"] != "not that file" {
		t.Errorf("the denied nested patch loaded as %v", byID["x1/1.2"])
	}
	if strings.Join(turn.ChangedPaths, ",") != "made.txt" {
		t.Errorf("the turn's changed paths %q", turn.ChangedPaths)
	}
}
