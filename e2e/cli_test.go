package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// run runs a deckhand terminal command and returns its output and status.
func run(t *testing.T, fake *upstreamtest.Server, home, dir, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DECKHAND_HOME="+home, "OPENAI_API_KEY=", "DECKHAND_LOG_LEVEL=warn")
	if fake != nil {
		cmd.Env = append(cmd.Env, "DECKHAND_AUTH_ISSUER="+fake.Issuer(), "DECKHAND_CODEX_BASE_URL="+fake.CodexBase(),
			"OPENAI_BASE_URL="+fake.APIBase())
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("deckhand %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func TestTerminalLoginAPIKeyStatusLogout(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), t.TempDir()
	if out, _, code := run(t, nil, home, dir, "", "status"); code != 0 || !strings.Contains(out, "Not logged in") {
		t.Fatalf("status before login: %q (%d)", out, code)
	}
	_, errOut, code := run(t, nil, home, dir, "sk-typed-key\n", "login")
	if code == 0 {
		t.Fatalf("login with no method chosen succeeded: %s", errOut)
	}
	_, errOut, code = run(t, nil, home, dir, "3\nsk-typed-key\n", "login")
	if code != 0 || !strings.Contains(errOut, "Manually enter API key") {
		t.Fatalf("login: %q (%d)", errOut, code)
	}
	if strings.Contains(errOut, "sk-typed-key") {
		t.Errorf("the key was echoed: %q", errOut)
	}
	if a := readAuth(t, home)["openai"]; a["type"] != "api" || a["key"] != "sk-typed-key" {
		t.Errorf("auth.json openai = %v", a)
	}
	if out, _, _ := run(t, nil, home, dir, "", "status"); !strings.Contains(out, "stored API key") {
		t.Errorf("status after login: %q", out)
	}
	if out, _, code := run(t, nil, home, dir, "", "logout"); code != 0 || !strings.Contains(out, "Not logged in") {
		t.Errorf("logout: %q (%d)", out, code)
	}
}

func TestTerminalLoginHeadless(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	defer fake.Close()
	fake.AutoApproveDevice(1)
	home := t.TempDir()
	_, errOut, code := run(t, fake, home, t.TempDir(), "", "login", "headless")
	if code != 0 {
		t.Fatalf("login headless: %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, fake.LastUserCode()) || !strings.Contains(errOut, fake.Issuer()+"/codex/device") {
		t.Errorf("the code and where to enter it were not shown:\n%s", errOut)
	}
	if !strings.Contains(errOut, "Logged in to ChatGPT") {
		t.Errorf("no success line:\n%s", errOut)
	}
	if a := readAuth(t, home)["openai"]; a["type"] != "oauth" {
		t.Errorf("auth.json openai = %v", a)
	}
}

func TestExec(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	defer fake.Close()
	home, ws := t.TempDir(), t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	writeFile(t, ws, "notes.txt", "remember the milk\n")
	fake.PushCodex(upstreamtest.Step().Text("Reading it.").Call("c1", "read", `{"path":"notes.txt"}`).Reply(),
		upstreamtest.Text("It says to remember the milk."))
	out, errOut, code := run(t, fake, home, ws, "", "exec", "what do my notes say?")
	if code != 0 {
		t.Fatalf("exec: %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"Reading it.", "▸ read", "remember the milk", "It says to remember the milk."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	in := input(t, fake.RequestsTo(codexPath), 0)
	if msg := itemText(in[len(in)-1]); msg != "what do my notes say?" {
		t.Errorf("prompt sent: %v", msg)
	}
}

func TestExecFailsWithoutLogin(t *testing.T) {
	t.Parallel()
	_, errOut, code := run(t, nil, t.TempDir(), t.TempDir(), "", "exec", "hi")
	if code == 0 || !strings.Contains(errOut, "deckhand login") {
		t.Errorf("exec without login: %d %q", code, errOut)
	}
}

func TestDemoRunsToTheEnd(t *testing.T) {
	t.Parallel()
	out, errOut, code := run(t, nil, t.TempDir(), t.TempDir(), "", "demo")
	if code != 0 {
		t.Fatalf("demo: %d\n%s\n%s", code, out, errOut)
	}
	// The default model's real tool set: scripts in exec (code mode)
	// whose nested calls are reported and asked for.
	for _, want := range []string{`"method":"initialize"`, `"method":"auth/completed"`, `"method":"permission/request"`,
		`"name":"exec"`, `"name":"exec_command"`, `"parentCallId":"call_1"`, `"tool":"apply_patch"`,
		`"stopReason":"end_turn"`, `fmt.Println("Hello, world!")`} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %s", want)
		}
	}
}

// The browser opener pkg/browser starts may print to stdout; that must
// never reach the protocol stream.
func TestBrowserOutputKeptOffStdout(t *testing.T) {
	fake := upstreamtest.New()
	defer fake.Close()
	bin := t.TempDir()
	opened := filepath.Join(bin, "opened")
	script := "#!/bin/sh\necho 'xdg-open says hello on stdout'\necho \"$1\" > " + opened + "\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p := start(t, opts{fake: fake, env: []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "DECKHAND_OAUTH_PORT=" + strconv.Itoa(freePort(t))}})
	p.initialize(false)
	var res struct{ FlowID, URL string }
	p.ok("startOAuth", map[string]any{"provider": "openai", "method": "browser"}, &res)
	waitPath(t, opened, 20*time.Second, "the browser was not opened with the login URL", func(b []byte, _ bool) bool {
		return strings.TrimSpace(string(b)) == res.URL
	})
	p.ok("cancel", map[string]any{"flowId": res.FlowID}, nil)
	p.ok("authStatus", map[string]any{}, nil) // and the stream is still clean (checked at cleanup)
}

func TestDeadUpstream(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	issuer := fake.Issuer()
	fake.Close() // nothing listens there any more
	p := start(t, opts{home: home, args: fast, env: []string{"DECKHAND_AUTH_ISSUER=" + issuer,
		"DECKHAND_CODEX_BASE_URL=" + issuer + "/backend-api/codex", "OPENAI_BASE_URL=" + issuer + "/v1"}})
	p.initialize(false)
	e := p.fails("chat", map[string]any{"message": "hi"}, -32012)
	if !strings.Contains(e.Message, "3 tries") {
		t.Errorf("message %q", e.Message)
	}
	e = p.fails("startOAuth", map[string]any{"provider": "openai", "method": "headless"}, -32012)
	if e.Message == "" {
		t.Errorf("no message")
	}
	p.ok("authStatus", map[string]any{}, nil)
}
