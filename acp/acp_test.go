package acp

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	sdk "github.com/coder/acp-go-sdk"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/jsonrpc/jsonrpctest"
)

func TestPromptPartsRefuses(t *testing.T) {
	text := func(s string) sdk.ContentBlock { return sdk.TextBlock(s) }
	cases := []struct {
		name   string
		blocks []sdk.ContentBlock
		err    string
	}{
		{"audio", []sdk.ContentBlock{text("hear"), sdk.AudioBlock("AAAA", "audio/wav")}, "audio"},
		{"blank", []sdk.ContentBlock{text("  ")}, "no text"},
		{"none", nil, "no text"},
		{"unknown", []sdk.ContentBlock{text("hi"), {}}, "unknown type"},
	}
	for _, c := range cases {
		if _, _, err := promptParts("", c.blocks); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: err = %v, want one saying %q", c.name, err, c.err)
		}
	}
	if f := fence("x ``` y"); f != "````" {
		t.Errorf("fence %q", f)
	}
}

func TestViewOf(t *testing.T) {
	cases := []struct {
		tool, args string
		kind       sdk.ToolKind
		title      string
		path       string
		mutating   bool
	}{
		{"read", `{"path":"a.go","offset":12}`, sdk.ToolKindRead, "Read a.go", "/w/a.go", false},
		{"grep", `{"pattern":"x"}`, sdk.ToolKindSearch, `Search for "x"`, "", false},
		{"edit", `{"path":"/w/sub/b.go"}`, sdk.ToolKindEdit, "Edit /w/sub/b.go", "/w/sub/b.go", true},
		{"write", `{"path":"c.txt"}`, sdk.ToolKindEdit, "Write c.txt", "/w/c.txt", true},
		{"bash", `{"command":"go  test\n ./..."}`, sdk.ToolKindExecute, "Run go test ./...", "", true},
		{"exec_command", `{"cmd":"make\n test"}`, sdk.ToolKindExecute, "Run make test", "", true},
		{"write_stdin", `{"session_id":4242}`, sdk.ToolKindExecute, "Write to a running command", "", false},
		{"apply_patch", `{"input":"*** Begin Patch"}`, sdk.ToolKindEdit, "Apply a patch", "", true},
		{"view_image", `{"path":"shot.png"}`, sdk.ToolKindRead, "View shot.png", "/w/shot.png", false},
		{"mystery", `not json`, sdk.ToolKindOther, "mystery", "", false},
	}
	for _, c := range cases {
		v := viewOf("/w", c.tool, json.RawMessage(c.args))
		if v.kind != c.kind || v.title != c.title || v.mutating != c.mutating {
			t.Errorf("%s: got %s %q mutating=%v, want %s %q %v", c.tool, v.kind, v.title, v.mutating, c.kind, c.title, c.mutating)
		}
		switch {
		case c.path == "" && len(v.locations) != 0:
			t.Errorf("%s: locations %v, want none", c.tool, v.locations)
		case c.path != "" && (len(v.locations) != 1 || v.locations[0].Path != c.path):
			t.Errorf("%s: locations %v, want %s", c.tool, v.locations, c.path)
		}
	}
	if v := viewOf("/w", "read", json.RawMessage(`{"path":"a.go","offset":12}`)); v.locations[0].Line == nil || *v.locations[0].Line != 12 {
		t.Errorf("read's offset is not the location's line: %+v", v.locations)
	}
}

func TestChunksMergeInOrder(t *testing.T) {
	var c any = newChunk("s1", false, "a")
	var want strings.Builder
	want.WriteString("a")
	for i := range 1000 {
		s := string(rune('b' + i%20))
		want.WriteString(s)
		c = mergeChunks(c, newChunk("s1", false, s))
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var n struct {
		SessionID string `json:"sessionId"`
		Update    struct {
			SessionUpdate string `json:"sessionUpdate"`
			Content       struct{ Type, Text string }
		} `json:"update"`
	}
	if err := json.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	if n.SessionID != "s1" || n.Update.SessionUpdate != "agent_message_chunk" || n.Update.Content.Type != "text" || n.Update.Content.Text != want.String() {
		t.Errorf("merged chunk %s", b)
	}
	th, _ := json.Marshal(newChunk("s1", true, "hm"))
	if !strings.Contains(string(th), `"sessionUpdate":"agent_thought_chunk"`) {
		t.Errorf("thought chunk %s", th)
	}
}

func TestAPIKeyFromMeta(t *testing.T) {
	cases := []struct {
		meta map[string]any
		want string
	}{
		{map[string]any{"api-key": map[string]any{"apiKey": " sk-1 "}}, "sk-1"},
		{map[string]any{"apiKey": "sk-2"}, "sk-2"},
		{map[string]any{"api-key": "sk-3"}, ""},
		{nil, ""},
	}
	for _, c := range cases {
		if got := apiKeyFromMeta(c.meta); got != c.want {
			t.Errorf("apiKeyFromMeta(%v) = %q, want %q", c.meta, got, c.want)
		}
	}
}

func TestStopReasons(t *testing.T) {
	for in, want := range map[engine.StopReason]sdk.StopReason{
		engine.StopEndTurn:   sdk.StopReasonEndTurn,
		engine.StopCancelled: sdk.StopReasonCancelled,
		engine.StopMaxSteps:  sdk.StopReasonMaxTurnRequests,
		engine.StopMaxTokens: sdk.StopReasonMaxTokens,
		engine.StopRefusal:   sdk.StopReasonRefusal,
	} {
		if got := stopReason(in); got != want {
			t.Errorf("stopReason(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestAuthMethods(t *testing.T) {
	a := New(Config{})
	ids := func(ms []sdk.AuthMethod) (out []string) {
		for _, m := range ms {
			switch {
			case m.Agent != nil:
				out = append(out, "agent:"+m.Agent.Id)
			case m.Terminal != nil:
				out = append(out, "terminal:"+m.Terminal.Id+":"+strings.Join(m.Terminal.Args, " "))
			}
		}
		return out
	}
	if got := strings.Join(ids(a.authMethods(false)), ","); got != "agent:chat-gpt,agent:chat-gpt-device-code,agent:api-key" {
		t.Errorf("methods %s", got)
	}
	if got := strings.Join(ids(a.authMethods(true)), ","); got != "agent:chat-gpt,terminal:chat-gpt-device-code:login headless,agent:api-key" {
		t.Errorf("methods with terminal auth %s", got)
	}
	a = New(Config{NoBrowser: true})
	if got := strings.Join(ids(a.authMethods(false)), ","); got != "agent:chat-gpt-device-code,agent:api-key" {
		t.Errorf("methods with NO_BROWSER %s", got)
	}
}

// agentOverPipes serves an Agent over in-memory pipes, with an engine that
// has no login, and returns the client's end. At the test's end the input
// is closed, and Run must return 0.
func agentOverPipes(t *testing.T) *jsonrpctest.Client {
	return agentOn(t, engine.New(engine.Config{Home: t.TempDir(), Version: "test"}))
}

// agentOn is agentOverPipes with the engine given.
func agentOn(t *testing.T, eng *engine.Engine) *jsonrpctest.Client {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- New(Config{Engine: eng, Version: "test"}).Run(context.Background(), inR, outW)
		outW.Close()
	}()
	c := jsonrpctest.Start(t, inW, outR, false)
	t.Cleanup(func() {
		inW.Close()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("Run returned %d at the end of the input", code)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return at the end of the input")
		}
	})
	return c
}

// apiKeyLogin is authenticate's params for a login with an API key.
var apiKeyLogin = map[string]any{"methodId": "api-key", "_meta": map[string]any{"api-key": map[string]any{"apiKey": "sk-test"}}}

func TestAgentOverPipes(t *testing.T) {
	ws := t.TempDir()
	c := agentOverPipes(t)
	newSession := map[string]any{"cwd": ws, "mcpServers": []any{}}
	if e := c.Fails("session/new", newSession, -32600); !strings.Contains(e.Message, "initialize") {
		t.Errorf("before initialize: %q", e.Message)
	}
	var init struct{ ProtocolVersion int }
	if c.OK("initialize", map[string]any{"protocolVersion": 1}, &init); init.ProtocolVersion != 1 {
		t.Fatalf("initialize: %+v", init)
	}
	c.Fails("session/new", newSession, -32000)
	var res map[string]any
	if c.OK("authenticate", apiKeyLogin, &res); res == nil {
		t.Fatal("authenticate answered null")
	}
	if e := c.Fails("session/new", map[string]any{"cwd": "relative/dir", "mcpServers": []any{}}, -32602); !strings.Contains(e.Message, "absolute") {
		t.Errorf("relative cwd: %q", e.Message)
	}
	c.Fails("session/prompt", map[string]any{"sessionId": "ses_none", "prompt": []any{map[string]any{"type": "text", "text": "hi"}}}, -32002)
	c.Fails("session/prompt", map[string]any{"sessionId": 42}, -32602)
	c.WriteRaw([]byte("this is not json"))
	c.WaitFor("", func(m jsonrpctest.Message) bool { return m.Error != nil && m.Error.Code == -32700 }, 10*time.Second)
	c.Fails("session/cancel_everything", map[string]any{}, -32601)
	c.Notify("session/cancel", map[string]any{"sessionId": "ses_none"}) // ignored
	res = nil
	if c.OK("logout", map[string]any{}, &res); res == nil {
		t.Fatal("logout answered null")
	}
}

func TestParamsProblem(t *testing.T) {
	cases := []struct{ raw, want string }{
		{`{"sessionId":42}`, `"sessionId" must be a string, not a number`},
		{`[1]`, `params must be an object, not an array`},
		{`{"prompt":"hi","sessionId":"s"}`, `"prompt" must be an array, not a string`},
	}
	for _, c := range cases {
		var p sdk.PromptRequest
		err := json.Unmarshal([]byte(c.raw), &p)
		if err == nil {
			t.Errorf("%s decoded", c.raw)
			continue
		}
		if got := paramsProblem(err); !strings.Contains(got, c.want) || strings.Contains(got, "Go struct") {
			t.Errorf("%s: %q, want it to say %q", c.raw, got, c.want)
		}
	}
}

// BenchmarkChunkMerge: folding n message chunks under pressure costs O(n).
func BenchmarkChunkMerge(b *testing.B) {
	for b.Loop() {
		var c any = newChunk("s", false, "abcdefghij")
		for range 20000 {
			c = mergeChunks(c, newChunk("s", false, "abcdefghij"))
		}
	}
}

func TestPromptParts(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/a.go"
	if err := os.WriteFile(file, []byte("package a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text, atts, err := promptParts(realPath(dir), []sdk.ContentBlock{
		sdk.TextBlock("explain"),
		sdk.ResourceLinkBlock("a.go", "file://"+file+"#L2-L4"),
		sdk.ResourceLinkBlock("a.go", "file://"+file+"#L12"), // one line: that line, not the file
		sdk.ResourceLinkBlock("docs", "https://example.com/docs"),
		sdk.ResourceLinkBlock("dir", "file://"+dir),
		sdk.ResourceBlock(sdk.EmbeddedResourceResource{TextResourceContents: &sdk.TextResourceContents{Uri: "file://" + file + "#L1:1", Text: "package a"}}),
		sdk.ResourceBlock(sdk.EmbeddedResourceResource{TextResourceContents: &sdk.TextResourceContents{Uri: "file://" + file, Text: "unsaved"}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "explain") || !strings.Contains(text, "(https://example.com/docs)") || !strings.Contains(text, "file://"+dir) {
		t.Errorf("message %q", text)
	}
	want := []engine.Attachment{
		{Type: engine.AttachFile, Path: file, StartLine: 2, EndLine: 4},
		{Type: engine.AttachFile, Path: file, StartLine: 12, EndLine: 12},
		{Type: engine.AttachSelection, Path: file, StartLine: 1, EndLine: 1, Text: "package a"},
		{Type: engine.AttachText, Title: file, Text: "unsaved"},
	}
	if len(atts) != len(want) {
		t.Fatalf("attachments %+v", atts)
	}
	for i := range want {
		if atts[i] != want[i] {
			t.Errorf("attachment %d: %+v, want %+v", i, atts[i], want[i])
		}
	}
	if _, atts, err := promptParts(realPath(dir), []sdk.ContentBlock{sdk.ResourceLinkBlock("a.go", "file://"+file)}); err != nil || len(atts) != 1 {
		t.Errorf("a link alone: %v %v", atts, err)
	}
	// Seen from another workspace, the same file is outside: a link is a
	// reference, an embedded selection a text attachment naming its lines.
	text, atts, err = promptParts(realPath(t.TempDir()), []sdk.ContentBlock{
		sdk.ResourceLinkBlock("a.go", "file://"+file),
		sdk.ResourceBlock(sdk.EmbeddedResourceResource{TextResourceContents: &sdk.TextResourceContents{Uri: "file://" + file + "#L1-L1", Text: "package a"}}),
	})
	if err != nil || text != "[a.go](file://"+file+")" {
		t.Errorf("outside: %q %v", text, err)
	}
	if len(atts) != 1 || atts[0].Type != engine.AttachText || atts[0].Title != file+" (lines 1-1)" {
		t.Errorf("outside attachments %+v", atts)
	}
}
