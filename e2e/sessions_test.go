package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

type sessionInfo struct {
	SessionID     string `json:"sessionId"`
	Title         string `json:"title"`
	WorkspaceRoot string `json:"workspaceRoot"`
	Model         string `json:"model"`
	CreatedAt     string `json:"createdAt"`
	UpdatedAt     string `json:"updatedAt"`
	Turns         int    `json:"turns"`
	Broken        bool   `json:"broken"`
	Error         string `json:"error"`
}

type transcript struct {
	SessionID     string `json:"sessionId"`
	Title         string `json:"title"`
	WorkspaceRoot string `json:"workspaceRoot"`
	Model         string `json:"model"`
	Turns         []struct {
		TurnID     string `json:"turnId"`
		Message    string `json:"message"`
		Text       string `json:"text"`
		StopReason string `json:"stopReason"`
		Error      string `json:"error"`
		Tools      []struct {
			CallID    string          `json:"callId"`
			Name      string          `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
			OK        bool            `json:"ok"`
			Output    string          `json:"output"`
		} `json:"tools"`
	} `json:"turns"`
}

func (p *proc) sessions(params map[string]any) []sessionInfo {
	p.t.Helper()
	var r struct{ Sessions []sessionInfo }
	p.ok("sessions/list", params, &r)
	return r.Sessions
}

func (p *proc) load(id string) transcript {
	p.t.Helper()
	var r transcript
	p.ok("sessions/load", map[string]any{"sessionId": id}, &r)
	return r
}

// stop closes deckhand's stdin and waits for it to exit.
func (p *proc) stop() {
	p.t.Helper()
	p.stdin.Close()
	p.wait(20 * time.Second)
}

// another starts a second deckhand on the same home, workspace and fake.
func another(t *testing.T, fake *upstreamtest.Server, home, ws string) *proc {
	t.Helper()
	p := start(t, opts{fake: fake, home: home, ws: ws})
	p.initialize(false)
	return p
}

// sessionFile is where a session lives on disk.
func sessionFile(home, id string) string { return filepath.Join(home, "sessions", id+".jsonl") }

// checkRecords fails unless every line of a session file is a JSON record.
func checkRecords(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("%s does not end with a newline", path)
	}
	n := 0
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		n++
		if !json.Valid(sc.Bytes()) {
			t.Errorf("%s line %d is not JSON: %q", path, n, sc.Text())
		}
	}
	return n
}

func TestSessionContinuesInAnotherProcess(t *testing.T) {
	t.Parallel()
	fake, a, _ := oauthServer(t, opts{})
	os.WriteFile(filepath.Join(a.ws, "notes.txt"), []byte("the answer is 42\n"), 0o600)
	fake.PushCodex(upstreamtest.Step().Reasoning("look first", "enc-1").Call("c1", "read", `{"path":"notes.txt"}`).Reply(),
		upstreamtest.Text("It says 42."))
	r := a.chat(map[string]any{"message": "What do my notes say?\nsecond line"})
	if r.StopReason != "end_turn" {
		t.Fatalf("first turn %+v", r)
	}
	a.stop()

	path := sessionFile(a.home, r.SessionID)
	checkMode(t, path)
	if info, err := os.Stat(filepath.Dir(path)); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("sessions folder: %v %v, want 0700", info.Mode(), err)
	}
	checkRecords(t, path)

	b := start(t, opts{fake: fake, home: a.home, ws: a.ws})
	res := b.initialize(false)
	if caps, _ := res["capabilities"].(map[string]any); caps["sessions"] != true {
		t.Errorf("initialize capabilities = %v", res["capabilities"])
	}
	list := b.sessions(nil)
	if len(list) != 1 {
		t.Fatalf("sessions/list = %+v", list)
	}
	s := list[0]
	if s.SessionID != r.SessionID || s.Title != "What do my notes say?" || s.Turns != 1 || s.Model == "" ||
		s.WorkspaceRoot != res["workspaceRoot"] || s.CreatedAt == "" || s.UpdatedAt == "" || s.Broken {
		t.Errorf("listed %+v", s)
	}
	if other := b.sessions(map[string]any{"workspaceRoot": t.TempDir()}); len(other) != 0 {
		t.Errorf("another workspace lists %+v", other)
	}
	if all := b.sessions(map[string]any{"all": true}); len(all) != 1 {
		t.Errorf("all lists %+v", all)
	}

	tr := b.load(r.SessionID)
	if len(tr.Turns) != 1 || tr.Title != s.Title || tr.WorkspaceRoot != s.WorkspaceRoot {
		t.Fatalf("loaded %+v", tr)
	}
	turn := tr.Turns[0]
	if turn.TurnID != r.TurnID || turn.Message != "What do my notes say?\nsecond line" || turn.Text != "It says 42." ||
		turn.StopReason != "end_turn" || len(turn.Tools) != 1 {
		t.Fatalf("turn %+v", turn)
	}
	if c := turn.Tools[0]; c.CallID != "c1" || c.Name != "read" || !c.OK || !strings.Contains(c.Output, "the answer is 42") ||
		!strings.Contains(string(c.Arguments), "notes.txt") {
		t.Errorf("tool %+v", c)
	}

	fake.PushCodex(upstreamtest.Text("Still 42."))
	r2 := b.chat(map[string]any{"sessionId": r.SessionID, "message": "and now?"})
	if r2.SessionID != r.SessionID || r2.Text != "Still 42." {
		t.Fatalf("resumed turn %+v", r2)
	}
	reqs := fake.RequestsTo(codexPath)
	in := afterContext(input(t, reqs, len(reqs)-1))
	var kinds []string
	for _, it := range in {
		kind, _ := it["type"].(string)
		if kind == "" {
			kind = "message" // easy input messages carry only their role
		}
		if role, _ := it["role"].(string); role != "" {
			kind += ":" + role
		}
		kinds = append(kinds, kind)
	}
	want := "message:user reasoning function_call function_call_output message:assistant message:user"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("resumed request input %v, want %s", kinds, want)
	}
	if in[1]["encrypted_content"] != "enc-1" || !strings.Contains(outputsOf(in)["c1"], "the answer is 42") {
		t.Errorf("resumed request lost the reasoning or the output: %v", in)
	}
	if got := b.sessions(nil); len(got) != 1 || got[0].Turns != 2 {
		t.Errorf("after the second turn: %+v", got)
	}
}

func TestSessionKilledMidTurnLoadsAndContinues(t *testing.T) {
	t.Parallel()
	fake, a, _ := oauthServer(t, opts{})
	os.WriteFile(filepath.Join(a.ws, "f.txt"), []byte("content\n"), 0o600)
	fake.PushCodex(upstreamtest.Step().Call("c1", "read", `{"path":"f.txt"}`).Reply(),
		upstreamtest.Step().Text("half an ans").Stall().Reply())
	_, ch := a.send("chat", map[string]any{"message": "read it"})
	select {
	case <-fake.Stalled():
	case <-time.After(30 * time.Second):
		t.Fatal("the second step never started")
	}
	started := a.waitFor("chat/started", nil, 20*time.Second)
	var ref struct{ SessionID string }
	json.Unmarshal(started.Params, &ref)
	a.cmd.Process.Kill() // SIGKILL, in the middle of the turn
	<-a.exited
	select {
	case <-ch:
	default:
	}
	path := sessionFile(a.home, ref.SessionID)
	// A write cut by the kill: a torn last line.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"type":"item","turnId":"turn_x","item":{"kind":"assis`)
	f.Close()

	b := another(t, fake, a.home, a.ws)
	list := b.sessions(nil)
	if len(list) != 1 || list[0].Broken || list[0].Turns != 1 {
		t.Fatalf("list after the kill: %+v", list)
	}
	tr := b.load(ref.SessionID)
	if len(tr.Turns) != 1 || tr.Turns[0].StopReason != "cancelled" || len(tr.Turns[0].Tools) != 1 || !tr.Turns[0].Tools[0].OK {
		t.Fatalf("transcript after the kill: %+v", tr)
	}
	fake.PushCodex(upstreamtest.Text("done now"))
	r := b.chat(map[string]any{"sessionId": ref.SessionID, "message": "go on"})
	if r.Text != "done now" {
		t.Fatalf("continued turn %+v", r)
	}
	reqs := fake.RequestsTo(codexPath)
	in := afterContext(input(t, reqs, len(reqs)-1))
	if len(in) != 4 || itemText(in[0]) != "read it" || in[1]["type"] != "function_call" ||
		!strings.Contains(outputsOf(in)["c1"], "content") || itemText(in[3]) != "go on" {
		t.Fatalf("continued request input %v", in)
	}
	if n := checkRecords(t, path); n < 8 {
		t.Errorf("%d records after the continued turn", n)
	}
}

func TestBrokenSessionFileIsReportedAndOthersLoad(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{})
	fake.PushCodex(upstreamtest.Text("fine"))
	good := p.chat(map[string]any{"message": "a good one"})
	dir := filepath.Join(p.home, "sessions")
	root := p.sessions(nil)[0].WorkspaceRoot
	header := `{"type":"session","version":1,"sessionId":"ses_bad1","workspaceRoot":` + mustJSON(root) + `}` + "\n"
	os.WriteFile(filepath.Join(dir, "ses_bad1.jsonl"), []byte(header+"this is not json\n"+`{"type":"end"}`+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "ses_bad2.jsonl"), []byte("\x00\x01garbage\n"), 0o600)

	list := p.sessions(nil)
	byID := map[string]sessionInfo{}
	for _, s := range list {
		byID[s.SessionID] = s
	}
	if len(list) != 3 || byID[good.SessionID].Broken || !byID["ses_bad1"].Broken || !byID["ses_bad2"].Broken ||
		!strings.Contains(byID["ses_bad1"].Error, "line 2") || byID["ses_bad2"].Error == "" {
		t.Fatalf("list %+v", list)
	}
	e := p.fails("sessions/load", map[string]any{"sessionId": "ses_bad1"}, -32602)
	if !strings.Contains(e.Message, "cannot be read") {
		t.Errorf("load of a broken file: %q", e.Message)
	}
	p.fails("chat", map[string]any{"sessionId": "ses_bad2", "message": "hi"}, -32602)
	for _, name := range []string{"ses_bad1.jsonl", "ses_bad2.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if tr := p.load(good.SessionID); len(tr.Turns) != 1 || tr.Turns[0].Text != "fine" {
		t.Errorf("good session %+v", tr)
	}
	fake.PushCodex(upstreamtest.Text("still fine"))
	if r := p.chat(map[string]any{"sessionId": good.SessionID, "message": "more"}); r.Text != "still fine" {
		t.Errorf("good session's next turn %+v", r)
	}
	p.fails("sessions/load", map[string]any{"sessionId": "../auth"}, -32602)
	p.fails("sessions/load", map[string]any{"sessionId": "ses_none"}, -32602)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestTwoProcessesOnOneSession(t *testing.T) {
	t.Parallel()
	fake, a, _ := oauthServer(t, opts{})
	fake.PushCodex(upstreamtest.Text("one"))
	first := a.chat(map[string]any{"message": "first"})
	b := another(t, fake, a.home, a.ws)

	fake.PushCodex(upstreamtest.Step().Text("long").Stall().Reply())
	_, ch := a.send("chat", map[string]any{"sessionId": first.SessionID, "message": "second"})
	select {
	case <-fake.Stalled():
	case <-time.After(30 * time.Second):
		t.Fatal("the turn never started")
	}
	e := b.fails("chat", map[string]any{"sessionId": first.SessionID, "message": "meanwhile"}, -32003)
	var data struct{ SessionID string }
	json.Unmarshal(e.Data, &data)
	if data.SessionID != first.SessionID {
		t.Errorf("busy data %s", e.Data)
	}
	b.fails("sessions/delete", map[string]any{"sessionId": first.SessionID}, -32003)
	if tr := b.load(first.SessionID); len(tr.Turns) != 2 || tr.Turns[1].StopReason != "" {
		t.Errorf("a running turn loads as %+v", tr.Turns)
	}

	var c struct{ Cancelled bool }
	a.ok("cancel", map[string]any{"sessionId": first.SessionID}, &c)
	if _, err := a.await(ch, "chat"); err != nil {
		t.Fatal(err)
	}
	fake.PushCodex(upstreamtest.Text("three"))
	if r := b.chat(map[string]any{"sessionId": first.SessionID, "message": "third"}); r.Text != "three" {
		t.Fatalf("b's turn %+v", r)
	}
	reqs := fake.RequestsTo(codexPath)
	in := afterContext(input(t, reqs, len(reqs)-1))
	var said []string
	for _, it := range in {
		if s := itemText(it); s != "" {
			said = append(said, s)
		}
	}
	if strings.Join(said, "|") != "first|one|second|third" {
		t.Errorf("b's request carries %q", said)
	}
	// a's copy is stale: its next turn reads b's first.
	fake.PushCodex(upstreamtest.Text("four"))
	a.chat(map[string]any{"sessionId": first.SessionID, "message": "fourth"})
	reqs = fake.RequestsTo(codexPath)
	if n := len(afterContext(input(t, reqs, len(reqs)-1))); n != 6 {
		t.Errorf("a's next request has %d items, want 6 (b's turn included)", n)
	}

	var d struct{ Deleted bool }
	b.ok("sessions/delete", map[string]any{"sessionId": first.SessionID}, &d)
	if !d.Deleted {
		t.Error("delete said nothing was deleted")
	}
	if _, err := os.Stat(sessionFile(a.home, first.SessionID)); !os.IsNotExist(err) {
		t.Errorf("session file after delete: %v", err)
	}
	if got := b.sessions(nil); len(got) != 0 {
		t.Errorf("list after delete %+v", got)
	}
	b.fails("chat", map[string]any{"sessionId": first.SessionID, "message": "gone?"}, -32602)
	a.fails("chat", map[string]any{"sessionId": first.SessionID, "message": "gone?"}, -32602)
	b.ok("sessions/delete", map[string]any{"sessionId": first.SessionID}, &d)
	if d.Deleted {
		t.Error("a second delete deleted something")
	}
}

func TestSessionsCloseFreesAndChatReadsBack(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{})
	fake.PushCodex(upstreamtest.Text("one"))
	r := p.chat(map[string]any{"message": "remember 7"})
	var c struct{ Closed bool }
	p.ok("sessions/close", map[string]any{"sessionId": r.SessionID}, &c)
	if !c.Closed {
		t.Fatal("close said the session was not in memory")
	}
	p.ok("sessions/close", map[string]any{"sessionId": r.SessionID}, &c)
	if c.Closed {
		t.Error("a second close freed something")
	}
	fake.PushCodex(upstreamtest.Text("7"))
	if r2 := p.chat(map[string]any{"sessionId": r.SessionID, "message": "what was it?"}); r2.Text != "7" {
		t.Fatalf("after close: %+v", r2)
	}
	reqs := fake.RequestsTo(codexPath)
	if in := afterContext(input(t, reqs, len(reqs)-1)); len(in) != 3 || itemText(in[0]) != "remember 7" {
		t.Errorf("read back from disk: %v", in)
	}
	p.fails("sessions/close", map[string]any{"sessionId": "ses_none"}, -32602)
	p.fails("sessions/close", map[string]any{}, -32602)
	p.fails("sessions/list", map[string]any{"workspaceRoot": "relative/path"}, -32602)
	p.fails("sessions/list", map[string]any{"limit": -1}, -32602)
}
