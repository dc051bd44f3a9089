package engine

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

func chatOK(t *testing.T, e *Engine, req ChatRequest) TurnResult {
	t.Helper()
	res, err := e.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// lastInput is the history the last request carried: its input without
// the items every request of the model's shape adds (the tools item, the
// developer messages, the turn's settings).
func lastInput(t *testing.T, fake *upstreamtest.Server) []any {
	t.Helper()
	reqs := fake.RequestsTo("/backend-api/codex/responses")
	var out []any
	for _, it := range reqs[len(reqs)-1].JSON()["input"].([]any) {
		m, _ := it.(map[string]any)
		switch {
		case m["type"] == "additional_tools", m["type"] == "configuration_update", m["role"] == "developer":
			continue
		}
		out = append(out, it)
	}
	return out
}

func TestStoreFilesArePrivate(t *testing.T) {
	e, fake := testEngine(t)
	// A folder left open to others is tightened before anything is written.
	if err := os.MkdirAll(e.saved.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(e.saved.Dir(), 0o755)
	fake.PushCodex(upstreamtest.Text("hi"))
	res := chatOK(t, e, ChatRequest{Message: "hello"})
	info, err := os.Stat(e.saved.path(res.SessionID))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("session file: %v %v, want 0600", info.Mode(), err)
	}
	if info, err := os.Stat(e.saved.Dir()); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("sessions folder: %v %v, want 0700", info.Mode(), err)
	}
}

func TestStoreDropsATornLastLineAndAppendsAfterIt(t *testing.T) {
	e, fake := testEngine(t)
	fake.PushCodex(upstreamtest.Text("one"))
	res := chatOK(t, e, ChatRequest{Message: "first"})
	path := e.saved.path(res.SessionID)
	before, _ := os.ReadFile(path)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"type":"item","item":{"kind":"user","text":"half`)
	f.Close()

	st, err := e.saved.Load(res.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	// The history: the environment context (a session's first item), the
	// message, the answer.
	if st.Size != int64(len(before)) || len(st.History) != 3 || st.History[2].Text != "one" {
		t.Fatalf("loaded size %d (want %d), history %+v", st.Size, len(before), st.History)
	}
	// The resident copy is stale (the file grew): the next turn reads the
	// file again, cuts the torn line off and appends after it.
	fake.PushCodex(upstreamtest.Text("two"))
	chatOK(t, e, ChatRequest{SessionID: res.SessionID, Message: "second"})
	after, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(after), string(before)) || strings.Contains(string(after), `"half`) {
		t.Fatalf("file after the next turn:\n%s", after)
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(after), "\n"), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("line %d: %q", i+1, line)
		}
	}
	if in := lastInput(t, fake); len(in) != 4 { // environment, first, one, second: the torn half is gone
		t.Errorf("second request carries %d items, want 4", len(in))
	}
}

func TestStoreReportsABrokenFile(t *testing.T) {
	st := NewStore(t.TempDir())
	os.MkdirAll(st.Dir(), 0o700)
	write := func(id, body string) {
		os.WriteFile(st.path(id), []byte(body), 0o600)
	}
	header := `{"type":"session","version":1,"sessionId":"ses_a","workspaceRoot":"/w"}` + "\n"
	// A torn write in the middle (the process died, another appended).
	write("ses_a", header+`{"type":"item","item":{"kind":"us`+"\n"+`{"type":"turn","turnId":"t1"}`+"\n")
	write("ses_b", `{"type":"turn","turnId":"t1"}`+"\n")
	write("ses_c", header) // names another session
	write("ses_d", "")
	write("ses_e", `{"type":"session","version":99,"sessionId":"ses_e","workspaceRoot":"/w"}`+"\n")
	for id, want := range map[string]string{"ses_a": "line 2", "ses_b": "header", "ses_c": "ses_a", "ses_d": "empty", "ses_e": "newer"} {
		_, err := st.Load(id)
		var b *BrokenError
		if !errors.As(err, &b) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want a broken file saying %q", id, err, want)
		}
		if sum := st.summary(id); !sum.Broken || sum.Error == "" {
			t.Errorf("%s: summary %+v", id, sum)
		}
	}
	// A list checks only the shape of the records it does not need; Load
	// reads them all.
	os.WriteFile(st.path("ses_f"), []byte(strings.Replace(header, "ses_a", "ses_f", 1)+"{not json}\n"), 0o600)
	if _, err := st.Load("ses_f"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("ses_f: %v", err)
	}
	for _, id := range []string{"../etc/passwd", "a/b", "", ".hidden"} {
		var u *UnknownSessionError
		if _, err := st.Load(id); !errors.As(err, &u) {
			t.Errorf("Load(%q) = %v, want an unknown session", id, err)
		}
	}
}

func TestStoreReplaysHistoryRecordsAndKeepsOthers(t *testing.T) {
	st := NewStore(t.TempDir())
	os.MkdirAll(st.Dir(), 0o700)
	lines := []string{
		`{"type":"session","version":1,"sessionId":"ses_h","workspaceRoot":"/w","title":"t"}`,
		`{"type":"turn","turnId":"t1","message":"m1","model":"gpt-x"}`,
		`{"type":"item","turnId":"t1","item":{"kind":"user","text":"m1"}}`,
		`{"type":"item","turnId":"t1","item":{"kind":"call","callId":"c1","name":"read","arguments":"{}"}}`,
		`{"type":"item","turnId":"t1","item":{"kind":"output","callId":"c1","name":"read","text":"out","ok":true}}`,
		`{"type":"item","turnId":"t1","item":{"kind":"output","callId":"ghost","text":"no call"}}`,
		`{"type":"undoSnapshot","turnId":"t1","data":{"path":"a.go"}}`,
		`{"type":"end","turnId":"t1","stopReason":"end_turn","text":"answer"}`,
		`{"type":"history","turnId":"t2","items":[{"kind":"user","text":"summary of before"}]}`,
		`{"type":"turn","turnId":"t2","message":"m2"}`,
		`{"type":"item","turnId":"t2","item":{"kind":"user","text":"m2"}}`,
		`{"type":"item","turnId":"t2","item":{"kind":"call","callId":"c2","name":"bash","arguments":"{\"command\":\"ls\"}"}}`,
	}
	os.WriteFile(st.path("ses_h"), []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	s, err := st.Load("ses_h")
	if err != nil {
		t.Fatal(err)
	}
	h := s.History
	if len(h) != 4 || h[0].Text != "summary of before" || h[2].Kind != ItemCall || h[3].Kind != ItemOutput || h[3].CallID != "c2" {
		t.Fatalf("history %+v", h)
	}
	if len(s.Extra) != 1 || s.Extra[0].Type != "undoSnapshot" || !strings.Contains(string(s.Extra[0].Data), "a.go") {
		t.Errorf("extra %+v", s.Extra)
	}
	if len(s.Turns) != 2 || s.Turns[0].Text != "answer" || len(s.Turns[0].Tools) != 1 || !s.Turns[0].Tools[0].OK ||
		s.Turns[1].StopReason != StopCancelled || s.Turns[1].Tools[0].OK {
		t.Errorf("turns %+v", s.Turns)
	}
	if s.Summary.Title != "t" || s.Summary.Model != "" || s.Summary.Turns != 2 {
		t.Errorf("summary %+v", s.Summary)
	}
}

func TestTurnRecordsOtherKinds(t *testing.T) {
	e, fake := testEngine(t)
	fake.PushCodex(upstreamtest.Text("one"))
	res := chatOK(t, e, ChatRequest{Message: "first"})
	s, _, _ := e.session(res.SessionID)
	tr := &turn{e: e, s: s, id: "turn_test"}
	if _, err := s.begin(tr.id, func() {}); err != nil {
		t.Fatal(err)
	}
	history := tr.open("second", "second", nil)
	tr.record(&Record{Type: "undoSnapshot", Data: json.RawMessage(`{"n":1}`)})
	compacted := []Item{{Kind: ItemUser, Text: "compacted"}, history[len(history)-1]}
	tr.replaced(compacted)
	compacted = append(compacted, Item{Kind: ItemAssistant, Text: "after"})
	tr.finish(compacted, TurnResult{StopReason: StopEndTurn, Text: "after"}, nil)
	s.end()
	st, err := e.saved.Load(res.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.History) != 3 || st.History[0].Text != "compacted" || st.History[2].Text != "after" {
		t.Errorf("history %+v", st.History)
	}
	if len(st.Extra) != 1 || st.Extra[0].TurnID != "turn_test" {
		t.Errorf("extra %+v", st.Extra)
	}
}

func TestIdleSessionsAreUnloadedAndReadBack(t *testing.T) {
	e, fake := testEngine(t)
	e.cfg.MaxLoaded = 1
	fake.PushCodex(upstreamtest.Text("a1"), upstreamtest.Text("b1"))
	a := chatOK(t, e, ChatRequest{Message: "in a"})
	chatOK(t, e, ChatRequest{Message: "in b"})
	e.mu.Lock()
	_, resident := e.sessions[a.SessionID]
	e.mu.Unlock()
	if resident {
		t.Fatal("the least recently used session is still in memory past MaxLoaded")
	}
	fake.PushCodex(upstreamtest.Text("a2"))
	chatOK(t, e, ChatRequest{SessionID: a.SessionID, Message: "back to a"})
	in := lastInput(t, fake)
	if len(in) != 4 || inputText(in[1]) != "in a" /* after the environment context */ {
		t.Errorf("a's request after it was unloaded: %v", in)
	}

	// A session with grants keeps them, and its history goes.
	s, _, _ := e.session(a.SessionID)
	s.allowAlways("write")
	e.cfg.MaxLoaded, e.cfg.SessionIdle = 100, 1
	e.evict()
	s2, _, _ := e.session(a.SessionID)
	s2.mu.Lock()
	unloaded, granted := !s2.loaded() && s2.history == nil, s2.always["write"]
	s2.mu.Unlock()
	if s2 != s || !unloaded || !granted {
		t.Errorf("after idle eviction: same %v, unloaded %v, grant kept %v", s2 == s, unloaded, granted)
	}

	if closed, err := e.CloseSession(a.SessionID); !closed || err != nil {
		t.Errorf("close: %v %v", closed, err)
	}
	if closed, err := e.CloseSession(a.SessionID); closed || err != nil {
		t.Errorf("second close: %v %v", closed, err)
	}
	if _, err := e.CloseSession("ses_none"); !errors.Is(err, ErrUnknownSession) {
		t.Errorf("close of an unknown session: %v", err)
	}
}

func TestTitle(t *testing.T) {
	for in, want := range map[string]string{
		"\n\n  fix   the build \nplease": "fix the build",
		strings.Repeat("é", 100):         strings.Repeat("é", 79) + "…",
		"   ":                            "",
	} {
		if got := Title(in); got != want {
			t.Errorf("Title(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSessionOfAMissingWorkspaceIsRefused(t *testing.T) {
	e, fake := testEngine(t)
	ws := filepath.Join(t.TempDir(), "ws")
	os.Mkdir(ws, 0o700)
	id, err := e.NewSession(SessionOptions{Root: ws})
	if err != nil {
		t.Fatal(err)
	}
	fake.PushCodex(upstreamtest.Text("ok"))
	chatOK(t, e, ChatRequest{SessionID: id, Message: "hi"})
	e.CloseSession(id)
	os.RemoveAll(ws)
	_, err = e.Chat(context.Background(), ChatRequest{SessionID: id, Message: "again"})
	var ip *InvalidParamsError
	if !errors.As(err, &ip) || ip.Field != "sessionId" {
		t.Fatalf("got %v", err)
	}
}

func TestAFailedFirstTurnLeavesNoFiles(t *testing.T) {
	e := New(Config{Version: "test", Home: t.TempDir()}) // not logged in
	defer e.Close()
	e.Attach(&recorder{}, t.TempDir(), false)
	if _, err := e.Chat(context.Background(), ChatRequest{Message: "hi"}); err == nil {
		t.Fatal("a turn ran without a login")
	}
	entries, _ := os.ReadDir(e.saved.Dir())
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}
