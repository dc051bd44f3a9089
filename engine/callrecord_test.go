package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// reviewer answers permission requests with the verdicts given, in turn.
type reviewer struct {
	recorder
	mu       sync.Mutex
	verdicts []Verdict
}

func (r *reviewer) Review(ctx context.Context, req PermissionRequest) (Verdict, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.verdicts) == 0 {
		return Verdict{Decision: Deny}, nil
	}
	v := r.verdicts[0]
	r.verdicts = r.verdicts[1:]
	return v, nil
}

// A reopened turn keeps each call's decision and the user's reason, the
// message's attachments, the files the turn changed and whether undo can
// still take them back, and after an undo that it was undone.
func TestLoadSessionKeepsDecisionsAttachmentsAndUndo(t *testing.T) {
	e, fake := testEngine(t, tools.All()...)
	rev := &reviewer{verdicts: []Verdict{{Decision: Deny, Reason: "not that file"}, {Decision: Allow}}}
	if _, err := e.Attach(rev, e.root, true); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.root, "notes.md"), []byte("a\nb\nc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake.PushCodex(
		upstreamtest.Step().Call("w1", "write", `{"path":"secret.txt","content":"x"}`).Reply(),
		upstreamtest.Step().Text("Writing the other one.").Call("w2", "write", `{"path":"out.txt","content":"y"}`).Reply(),
		upstreamtest.Text("done"))
	res := chatOK(t, e, ChatRequest{Message: "write", Attachments: []Attachment{
		{Type: "file", Path: "notes.md", StartLine: 1, EndLine: 2},
		{Type: "image", MimeType: "image/png", Data: tinyPNG(t)},
	}})
	e.CloseSession(res.SessionID)
	_, turns, err := e.LoadSession(res.SessionID)
	if err != nil || len(turns) != 1 {
		t.Fatalf("turns %+v, %v", turns, err)
	}
	tr := turns[0]
	if len(tr.Tools) != 2 {
		t.Fatalf("tools %+v", tr.Tools)
	}
	if p := tr.Tools[0].Permission; p == nil || p.Decision != Deny || p.By != PermitUser || p.Reason != "not that file" {
		t.Errorf("denied call's permission %+v", p)
	}
	if p := tr.Tools[1].Permission; p == nil || p.Decision != Allow || p.By != PermitUser || p.Reason != "" {
		t.Errorf("allowed call's permission %+v", p)
	}
	if got := strings.Join(tr.Tools[1].ChangedPaths, ","); got != "out.txt" || tr.Tools[0].ChangedPaths != nil {
		t.Errorf("calls' changed paths %q and %q", tr.Tools[0].ChangedPaths, got)
	}
	if strings.Join(tr.ChangedPaths, ",") != "out.txt" || !tr.Undoable || tr.Undone {
		t.Errorf("turn changed %q, undoable %v, undone %v", tr.ChangedPaths, tr.Undoable, tr.Undone)
	}
	if len(tr.Attachments) != 2 || tr.Attachments[0] != (AttachmentRef{Type: "file", Path: "notes.md", StartLine: 1, EndLine: 2}) ||
		tr.Attachments[1] != (AttachmentRef{Type: "image", MimeType: "image/png"}) {
		t.Errorf("attachments %+v", tr.Attachments)
	}
	b, _ := os.ReadFile(e.saved.path(res.SessionID))
	if strings.Contains(string(b), `"mimeType":"image/png","data"`) {
		t.Errorf("the turn record keeps the image's bytes")
	}

	if _, err := e.Undo(context.Background(), res.SessionID, res.TurnID, false); err != nil {
		t.Fatal(err)
	}
	e.CloseSession(res.SessionID)
	_, turns, _ = e.LoadSession(res.SessionID)
	if tr := turns[0]; !tr.Undone || tr.Undoable || strings.Join(tr.ChangedPaths, ",") != "out.txt" {
		t.Errorf("after undo: changed %q, undoable %v, undone %v", tr.ChangedPaths, tr.Undoable, tr.Undone)
	}
}

// A call nobody was asked about says who let it run: here --allow-all.
func TestLoadSessionSaysWhoAllowedUnasked(t *testing.T) {
	e, fake := testEngine(t, tools.All()...)
	fake.PushCodex(upstreamtest.Step().Call("w1", "write", `{"path":"a.txt","content":"x"}`).Reply(),
		upstreamtest.Step().Call("r1", "read", `{"path":"a.txt"}`).Reply(), upstreamtest.Text("ok"))
	res := chatOK(t, e, ChatRequest{Message: "write"})
	e.CloseSession(res.SessionID)
	_, turns, _ := e.LoadSession(res.SessionID)
	if p := turns[0].Tools[0].Permission; p == nil || p.Decision != Allow || p.By != PermitAllowAll {
		t.Errorf("write's permission %+v", p)
	}
	if p := turns[0].Tools[1].Permission; p != nil {
		t.Errorf("a read needs no permission, got %+v", p)
	}
}

// A file written before calls were recorded loads as it did, with the
// changed files and undo state its undo records give.
func TestLoadSessionOfAnOlderFile(t *testing.T) {
	st := NewStore(t.TempDir())
	os.MkdirAll(st.Dir(), 0o700)
	lines := []string{
		`{"type":"session","version":1,"sessionId":"ses_o","workspaceRoot":"/w","title":"t"}`,
		`{"type":"turn","turnId":"t1","message":"m1","model":"gpt-x"}`,
		`{"type":"item","turnId":"t1","item":{"kind":"user","text":"m1"}}`,
		`{"type":"item","turnId":"t1","item":{"kind":"call","callId":"c1","name":"write","arguments":"{}"}}`,
		`{"type":"undo","turnId":"t1","data":{"file":{"path":"a.go","beforeExists":false,"afterExists":true}}}`,
		`{"type":"item","turnId":"t1","item":{"kind":"output","callId":"c1","name":"write","text":"wrote","ok":true}}`,
		`{"type":"end","turnId":"t1","stopReason":"end_turn","text":"answer"}`,
		`{"type":"turn","turnId":"t2","message":"m2"}`,
		`{"type":"end","turnId":"t2","stopReason":"end_turn","text":"nothing"}`,
		`{"type":"undo","turnId":"t1","data":{"undone":true}}`,
	}
	os.WriteFile(st.path("ses_o"), []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	s, err := st.Load("ses_o")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Turns) != 2 || s.Turns[0].Tools[0].Permission != nil || s.Turns[0].Attachments != nil {
		t.Fatalf("turns %+v", s.Turns)
	}
	if t1 := s.Turns[0]; strings.Join(t1.ChangedPaths, ",") != "a.go" || !t1.Undone || t1.Undoable {
		t.Errorf("first turn changed %q, undoable %v, undone %v", t1.ChangedPaths, t1.Undoable, t1.Undone)
	}
	// Its order comes from its items, as for a new file.
	if p := s.Turns[0].Parts; len(p) != 1 || p[0].Kind != PartTool || s.Turns[0].Tools[p[0].Tool].CallID != "c1" {
		t.Errorf("first turn's parts %+v", p)
	}
	if t2 := s.Turns[1]; t2.ChangedPaths != nil || t2.Undoable || t2.Undone {
		t.Errorf("second turn %+v", t2)
	}
}

// tinyPNG is a 1x1 PNG, base64, as an editor pastes it.
func tinyPNG(t *testing.T) string {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// "Allow for the session" once: the next call runs unasked, by the session;
// an editor that cannot ask, without --allow-all, refuses by policy.
func TestLoadSessionSaysSessionAndPolicy(t *testing.T) {
	e, fake := testEngine(t, tools.All()...)
	rev := &reviewer{verdicts: []Verdict{{Decision: AllowAlways}}}
	if _, err := e.Attach(rev, e.root, true); err != nil {
		t.Fatal(err)
	}
	fake.PushCodex(upstreamtest.Step().Call("w1", "write", `{"path":"a.txt","content":"x"}`).Reply(),
		upstreamtest.Step().Call("w2", "write", `{"path":"b.txt","content":"y"}`).Reply(), upstreamtest.Text("ok"))
	res := chatOK(t, e, ChatRequest{Message: "write two"})
	_, turns, _ := e.LoadSession(res.SessionID)
	if p := turns[0].Tools[0].Permission; p == nil || p.Decision != AllowAlways || p.By != PermitUser {
		t.Errorf("first write %+v", p)
	}
	if p := turns[0].Tools[1].Permission; p == nil || p.Decision != Allow || p.By != PermitSession {
		t.Errorf("second write %+v", p)
	}

	e.cfg.AllowAll = false
	if _, err := e.Attach(&recorder{}, e.root, false); err != nil {
		t.Fatal(err)
	}
	fake.PushCodex(upstreamtest.Step().Call("w3", "write", `{"path":"c.txt","content":"z"}`).Reply(), upstreamtest.Text("ok"))
	res = chatOK(t, e, ChatRequest{Message: "write"})
	_, turns, _ = e.LoadSession(res.SessionID)
	if p := turns[0].Tools[0].Permission; p == nil || p.Decision != Deny || p.By != PermitPolicy || !strings.Contains(p.Reason, "cannot ask") {
		t.Errorf("refused write %+v", p)
	}
}
