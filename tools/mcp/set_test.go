package mcp_test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/tools/mcp"
	"github.com/deckhand-dev/deckhand/tools/mcp/mcptest"
)

func TestMain(m *testing.M) {
	mcptest.Main() // a child started with MCPTEST_MODE=stdio serves MCP here
	os.Exit(m.Run())
}

// stdioServer is this test binary as a stdio MCP server.
func stdioServer(t testing.TB, name string, env map[string]string) mcp.Server {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	e := map[string]string{mcptest.ModeEnv: "stdio"}
	for k, v := range env {
		e[k] = v
	}
	return mcp.Server{Name: name, Source: "config", Command: self, Env: e}
}

// contain is what the engine passes: a process group per server.
func contain(cmd *exec.Cmd) (func(), error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return func() {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestStdioServerToolsCallsAndStderr(t *testing.T) {
	var stderr lockedBuffer
	var mu sync.Mutex
	var statuses []mcp.Status
	set := mcp.NewSet([]mcp.Server{stdioServer(t, "test", nil)}, mcp.Options{
		Contain:  contain,
		Stderr:   func(string) io.Writer { return &stderr },
		OnStatus: func(st mcp.Status) { mu.Lock(); statuses = append(statuses, st); mu.Unlock() },
	})
	defer set.Close()
	set.Start(context.Background())

	st := set.Status()
	if len(st) != 1 || st[0].State != mcp.StateReady {
		t.Fatalf("status = %+v, want one ready server", st)
	}
	var names []string
	for _, tool := range set.Tools() {
		names = append(names, tool.Name)
	}
	want := "mcp__test__add mcp__test__crash mcp__test__echo mcp__test__fail mcp__test__grow mcp__test__image mcp__test__pwd mcp__test__sleep"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("tools = %s\nwant   %s", got, want)
	}
	echo, _ := set.Lookup("mcp__test__echo")
	if props, _ := echo.Schema["properties"].(map[string]any); props["text"] == nil {
		t.Errorf("echo's schema was not passed through: %v", echo.Schema)
	}

	res, err := set.Call(context.Background(), "mcp__test__echo", []byte(`{"text":"hi"}`))
	if err != nil || res.Text != "echo: hi" || res.IsError {
		t.Fatalf("echo = %+v, %v", res, err)
	}
	res, err = set.Call(context.Background(), "mcp__test__fail", nil)
	if err != nil || !res.IsError || !strings.Contains(res.Text, "on purpose") {
		t.Fatalf("fail = %+v, %v", res, err)
	}
	res, err = set.Call(context.Background(), "mcp__test__image", nil)
	if err != nil || len(res.Images) != 1 || !strings.HasPrefix(res.Images[0].DataURL, "data:image/png;base64,iVBOR") {
		t.Fatalf("image = %+v, %v", res, err)
	}
	if !strings.Contains(stderr.String(), mcptest.StderrLine) {
		t.Errorf("the server's stderr did not reach the writer: %q", stderr.String())
	}

	// list_changed: grow adds a tool, and the list follows.
	if _, err := set.Call(context.Background(), "mcp__test__grow", nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := set.Lookup("mcp__test__extra"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tool added by grow never showed up")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Resources.
	if !set.HasResources() {
		t.Fatal("HasResources = false")
	}
	list, err := set.ListResources(context.Background(), "", false)
	if err != nil || len(list) != 1 || list[0].URI != "test://greeting" {
		t.Fatalf("resources = %+v, %v", list, err)
	}
	r, err := set.ReadResource(context.Background(), "test", "test://greeting")
	if err != nil || !strings.Contains(r.Text, mcptest.Greeting) {
		t.Fatalf("read = %+v, %v", r, err)
	}

	// A crash is reported, and the next call is a clear error.
	_, _ = set.Call(context.Background(), "mcp__test__crash", nil)
	deadline = time.Now().Add(5 * time.Second)
	for set.Status()[0].State != mcp.StateFailed {
		if time.Now().After(deadline) {
			t.Fatalf("a crashed server is still %+v", set.Status()[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(set.Tools()) != 0 {
		t.Errorf("a crashed server's tools are still offered: %v", set.Tools())
	}
	if _, err := set.Call(context.Background(), "mcp__test__echo", []byte(`{}`)); err == nil {
		t.Error("a call to a crashed server did not fail")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(statuses) < 3 || statuses[0].State != mcp.StateStarting {
		t.Errorf("statuses = %+v, want starting, ready ..., failed", statuses)
	}
}

func TestFailingServersDoNotHoldUpTheOthers(t *testing.T) {
	hang := stdioServer(t, "hang", map[string]string{mcptest.HangEnv: "1"})
	hang.StartTimeoutMs = 300
	set := mcp.NewSet([]mcp.Server{
		{Name: "missing", Command: "/nonexistent/mcp-server"},
		hang,
		stdioServer(t, "good", nil),
	}, mcp.Options{Contain: contain})
	defer set.Close()
	set.Start(context.Background())
	got := map[string]mcp.Status{}
	for _, st := range set.Status() {
		got[st.Name] = st
	}
	if got["good"].State != mcp.StateReady {
		t.Errorf("good = %+v", got["good"])
	}
	if got["missing"].State != mcp.StateFailed || got["missing"].Error == "" {
		t.Errorf("missing = %+v", got["missing"])
	}
	if got["hang"].State != mcp.StateFailed || !strings.Contains(got["hang"].Error, "did not answer") {
		t.Errorf("hang = %+v", got["hang"])
	}
}

func TestCloseKillsTheServerAndWhatItStarted(t *testing.T) {
	pidFile := t.TempDir() + "/pids"
	set := mcp.NewSet([]mcp.Server{stdioServer(t, "test", map[string]string{mcptest.PIDFileEnv: pidFile})}, mcp.Options{Contain: contain})
	set.Start(context.Background())
	if set.Status()[0].State != mcp.StateReady {
		t.Fatalf("status = %+v", set.Status())
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	set.Close()
	for _, f := range strings.Fields(string(data)) {
		pid, _ := strconv.Atoi(f)
		deadline := time.Now().Add(5 * time.Second)
		for syscall.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("process %d still runs after Close", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func TestHTTPServerWithBearerTokenFromTheEnvironment(t *testing.T) {
	srv := httptest.NewServer(mcptest.Handler("s3cret"))
	defer srv.Close()
	env := map[string]string{"MCP_TOKEN": "s3cret"}
	set := mcp.NewSet([]mcp.Server{
		{Name: "web", URL: srv.URL, BearerTokenEnv: "MCP_TOKEN"},
		{Name: "nokey", URL: srv.URL, BearerTokenEnv: "UNSET_TOKEN"},
		{Name: "wrongkey", URL: srv.URL, Headers: map[string]string{"Authorization": "Bearer nope"}},
	}, mcp.Options{Getenv: func(k string) string { return env[k] }})
	defer set.Close()
	set.Start(context.Background())
	got := map[string]mcp.Status{}
	for _, st := range set.Status() {
		got[st.Name] = st
	}
	if got["web"].State != mcp.StateReady {
		t.Fatalf("web = %+v", got["web"])
	}
	if got["nokey"].State != mcp.StateFailed || !strings.Contains(got["nokey"].Error, "UNSET_TOKEN") {
		t.Errorf("nokey = %+v", got["nokey"])
	}
	if got["wrongkey"].State != mcp.StateFailed {
		t.Errorf("wrongkey = %+v", got["wrongkey"])
	}
	for _, st := range got {
		if strings.Contains(st.Error, "s3cret") {
			t.Errorf("the token leaked into a status: %+v", st)
		}
	}
	res, err := set.Call(context.Background(), "mcp__web__add", []byte(`{"a":2,"b":3}`))
	if err != nil || res.Text != "5" {
		t.Fatalf("add = %+v, %v", res, err)
	}
}

func TestToolNames(t *testing.T) {
	long := strings.Repeat("x", 80)
	for _, tc := range []struct{ server, tool, want string }{
		{"git", "status", "mcp__git__status"},
		{"my server", "do.it/now", "mcp__my_server__do_it_now"},
	} {
		if got := mcp.ToolName(tc.server, tc.tool); got != tc.want {
			t.Errorf("ToolName(%q, %q) = %q, want %q", tc.server, tc.tool, got, tc.want)
		}
	}
	a, b := mcp.ToolName("s", long+"a"), mcp.ToolName("s", long+"b")
	if len(a) > 64 || len(b) > 64 || a == b {
		t.Errorf("long names: %q, %q", a, b)
	}
}
