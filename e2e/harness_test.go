package e2e

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/jsonrpc/jsonrpctest"
	"github.com/deckhand-dev/deckhand/tools/mcp/mcptest"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// binary is the deckhand built for this test run (with the race detector).
var binary string

func TestMain(m *testing.M) {
	mcptest.Main() // started as an MCP server by a test's config: serve and exit
	widenParallel()
	dir, err := os.MkdirTemp("", "deckhand-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "deckhand")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "../cmd/deckhand")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building deckhand:", err)
		os.Exit(1)
	}
	races := ""
	if raceEnabled {
		races = watchRaces()
	}
	code := m.Run()
	if races != "" && reportRaces(races) {
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// waitBound is how many tests run at once unless -parallel says: most of
// an end-to-end test's time is spent waiting on the processes it drives,
// so a slot per core (go test's default) leaves the cores idle.
const waitBound = 4

// widenParallel sets -test.parallel to waitBound times GOMAXPROCS when the
// command line did not set it.
func widenParallel() {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", strconv.Itoa(waitBound*runtime.GOMAXPROCS(0)))
	}
}

// watchRaces makes every race-built deckhand this run starts (servers,
// terminal commands, refresh helpers, sandboxed re-execs) write its race
// reports into a folder of their own, and exit without the race runtime's
// default second of sleep (which a test waiting for an exit pays each
// time). It returns the folder.
func watchRaces() string {
	dir, err := os.MkdirTemp("", "deckhand-races-")
	if err == nil {
		// Tests also run deckhand as another user: anyone may add a
		// report, none may list or read another's.
		err = os.Chmod(dir, 0o1733)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "race reports:", err)
		os.Exit(1)
	}
	os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0 log_path="+filepath.Join(dir, "report")))
	return dir
}

// reportRaces prints the race reports deckhand's processes wrote, and says
// whether there were any: a race in deckhand fails the run even when the
// test that provoked it saw nothing wrong.
func reportRaces(dir string) bool {
	defer os.RemoveAll(dir)
	ents, _ := os.ReadDir(dir)
	found := false
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		found = true
		fmt.Fprintf(os.Stderr, "FAIL: deckhand process %s reported a race:\n%s\n", strings.TrimPrefix(e.Name(), "report."), b)
	}
	return found
}

// msg is any frame deckhand sends; wireError an error answer.
type (
	msg       = jsonrpctest.Message
	wireError = jsonrpctest.Error
)

// proc is a running deckhand and the editor's end of its pipes.
type proc struct {
	t       testing.TB
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lsp     bool
	home    string
	ws      string
	logFile string

	conn *jsonrpctest.Conn // the wire: framing, ids, answers

	mu    sync.Mutex
	notes []msg
	noteC chan struct{} // signalled on every new notification
	// onRequest answers server-to-client requests; nil answers nothing.
	onRequest func(m msg) any
	// onNote sees every notification as it arrives (benchmarks).
	onNote   func(m msg)
	requests []msg
	garbage  []string // stdout bytes that were not a frame
	exited   chan struct{}
	exitCode int
}

type opts struct {
	lsp  bool
	fake *upstreamtest.Server
	env  []string
	args []string
	home string // default: a new temp dir
	ws   string // default: a new temp dir
	// cred runs deckhand as another user; home and ws must be theirs, and
	// the log goes into home.
	cred *syscall.Credential
}

// start runs deckhand with DECKHAND_* pointing at the fake.
func start(t testing.TB, o opts) *proc {
	t.Helper()
	if o.home == "" {
		o.home = t.TempDir()
	}
	if o.ws == "" {
		o.ws = t.TempDir()
	}
	p := &proc{t: t, lsp: o.lsp, home: o.home, ws: o.ws,
		noteC: make(chan struct{}, 1), exited: make(chan struct{})}
	p.logFile = filepath.Join(t.TempDir(), "deckhand.log")
	args := append([]string{"--log-file", p.logFile, "--log-level", "debug"}, o.args...)
	if o.cred != nil {
		p.logFile = filepath.Join(o.home, "deckhand.log")
		args[1] = p.logFile
	}
	p.cmd = exec.Command(binary, args...)
	if o.cred != nil {
		// Relayed through cat so that deckhand's stdin and stdout are
		// pipes the user made, as when their own editor starts it.
		p.cmd = exec.Command("bash", append([]string{"-c", `cat | "$0" "$@" | cat`, binary}, args...)...)
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: o.cred}
	}
	p.cmd.Dir = o.ws
	env := append(os.Environ(), "DECKHAND_HOME="+o.home, "OPENAI_API_KEY=", "OPENAI_ORG_ID=org-should-not-leak")
	if o.fake != nil {
		env = append(env, "DECKHAND_AUTH_ISSUER="+o.fake.Issuer(), "DECKHAND_CODEX_BASE_URL="+o.fake.CodexBase(),
			"OPENAI_BASE_URL="+o.fake.APIBase())
	} else {
		// No fake: nothing may reach the real services (an API key is
		// checked on entry), so every host is a closed loopback port.
		env = append(env, "DECKHAND_AUTH_ISSUER="+deadHost, "DECKHAND_CODEX_BASE_URL="+deadHost+"/backend-api/codex",
			"OPENAI_BASE_URL="+deadHost+"/v1")
	}
	p.cmd.Env = append(env, o.env...)
	allowTestPort(o.fake, o.env)
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	p.conn = jsonrpctest.NewConn(t, p.stdin, o.lsp, p)
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	p.cmd.Stderr = &stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go p.read(stdout)
	t.Cleanup(func() {
		p.stdin.Close()
		select {
		case <-p.exited:
		case <-time.After(20 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
			t.Errorf("deckhand did not exit after stdin closed")
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.garbage) > 0 {
			t.Errorf("stdout carried bytes that are not frames: %q", p.garbage)
		}
		if t.Failed() {
			b, _ := os.ReadFile(p.logFile)
			t.Logf("deckhand stderr:\n%s\nlog:\n%s", stderr.String(), tail(string(b), 6000))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// read parses every frame deckhand writes; anything else is garbage.
func (p *proc) read(stdout io.Reader) {
	defer func() {
		err := p.cmd.Wait()
		p.exitCode = 0
		if ee, ok := err.(*exec.ExitError); ok {
			p.exitCode = ee.ExitCode()
		}
		close(p.exited)
	}()
	p.conn.Read(stdout)
}

// Request records a request of deckhand's and answers it with onRequest
// (jsonrpctest.Handler).
func (p *proc) Request(m msg) any {
	p.mu.Lock()
	p.requests = append(p.requests, m)
	h := p.onRequest
	p.mu.Unlock()
	if h == nil {
		return nil
	}
	return h(m)
}

// Notification records a notification, or an answer to a raw frame, kept
// for inspection (jsonrpctest.Handler).
func (p *proc) Notification(m msg) {
	p.mu.Lock()
	p.notes = append(p.notes, m)
	h := p.onNote
	p.mu.Unlock()
	if h != nil && m.Method != "" {
		h(m)
	}
	select {
	case p.noteC <- struct{}{}:
	default:
	}
}

// Answer is an answer to one of the test's requests (jsonrpctest.Handler).
func (p *proc) Answer(msg) {}

// Garbage records stdout bytes that are not a frame (jsonrpctest.Handler).
func (p *proc) Garbage(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.garbage = append(p.garbage, s)
}

func (p *proc) writeRaw(b []byte) { p.conn.WriteRaw(b) }

// send starts a request and returns its id and the channel of its answer.
func (p *proc) send(method string, params any) (int, chan msg) { return p.conn.Send(method, params) }

// call sends a request and waits for its answer.
func (p *proc) call(method string, params any) (json.RawMessage, *wireError) {
	p.t.Helper()
	return p.conn.Call(method, params)
}

func (p *proc) await(ch chan msg, what string) (json.RawMessage, *wireError) {
	p.t.Helper()
	return p.conn.Await(ch, what)
}

// ok calls and fails the test on an error answer; it decodes into out.
func (p *proc) ok(method string, params any, out any) {
	p.t.Helper()
	p.conn.OK(method, params, out)
}

// fails calls and expects an error with the given code.
func (p *proc) fails(method string, params any, code int) *wireError {
	p.t.Helper()
	return p.conn.Fails(method, params, code)
}

func (p *proc) notify(method string, params any) { p.conn.Notify(method, params) }

// initialize says hello with the given capabilities.
func (p *proc) initialize(permissions bool) map[string]any {
	p.t.Helper()
	var res map[string]any
	p.ok("initialize", map[string]any{"clientInfo": map[string]any{"name": "e2e", "version": "1"},
		"workspaceRoot": p.ws, "capabilities": map[string]any{"permissions": permissions}}, &res)
	return res
}

// notifications returns the notifications so far with the given method ("" = all).
func (p *proc) notifications(method string) []msg {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []msg
	for _, m := range p.notes {
		if method == "" || m.Method == method {
			out = append(out, m)
		}
	}
	return out
}

// waitFor waits until a notification with the method satisfies pred.
func (p *proc) waitFor(method string, pred func(m msg) bool, within time.Duration) msg {
	p.t.Helper()
	deadline := time.After(within)
	for {
		for _, m := range p.notifications(method) {
			if pred == nil || pred(m) {
				return m
			}
		}
		select {
		case <-p.noteC:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			p.t.Fatalf("no %s notification within %s", method, within)
		}
	}
}

// wait closes nothing and waits for the process to exit.
func (p *proc) wait(within time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.exitCode
	case <-time.After(within):
		p.t.Fatalf("deckhand still running after %s", within)
		return -1
	}
}

func (p *proc) log() string {
	b, _ := os.ReadFile(p.logFile)
	return string(b)
}

func decode[T any](t testing.TB, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return v
}

// deadHost is a loopback address nothing listens on.
const deadHost = "http://127.0.0.1:9"

// allowTestPort registers a test's login callback port with the fake's
// issuer, which like the real one refuses a redirect port it does not know.
func allowTestPort(fake *upstreamtest.Server, env []string) {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "DECKHAND_OAUTH_PORT="); ok && fake != nil {
			if n, err := strconv.Atoi(v); err == nil {
				fake.AllowRedirectPort(n)
			}
		}
	}
}
