//go:build unix

package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var sessionIDRe = regexp.MustCompile(`Process running with session ID (\d+)`)

// sessionID returns the id a yielded command was given, failing the test
// when the command did not yield.
func sessionID(t *testing.T, res Result) int {
	t.Helper()
	m := sessionIDRe.FindStringSubmatch(res.Output)
	if m == nil {
		t.Fatalf("the command did not yield a session:\n%s", res.Output)
	}
	id, _ := strconv.Atoi(m[1])
	return id
}

func execEnv(t *testing.T) *Env {
	t.Helper()
	env := newTestEnv(t, map[string]string{"sub/f.txt": "x"})
	t.Cleanup(env.Close)
	return env
}

func TestExecCommandRunsToTheEnd(t *testing.T) {
	env := execEnv(t)
	res := runTool(t, execCommandTool{}, env, map[string]any{"cmd": "echo hello; echo err >&2; pwd; exit 3", "workdir": "sub"})
	check(t, res, false, []string{"Chunk ID: ", "Wall time: ", "Process exited with code 3\n", "Original token count: ", "Output:\nhello\nerr\n", filepath.Join(env.Root, "sub") + "\n"}, "session ID")
	if env.Execs.Len() != 0 {
		t.Errorf("%d sessions left after the command ended", env.Execs.Len())
	}
}

func TestExecCommandRefusesBadArguments(t *testing.T) {
	env := execEnv(t)
	check(t, runTool(t, execCommandTool{}, env, map[string]any{"cmd": " "}), true, []string{"cmd must not be empty"})
	check(t, runTool(t, execCommandTool{}, env, map[string]any{"cmd": "true", "workdir": "../.."}), true, []string{"outside the workspace"})
	check(t, runTool(t, execCommandTool{}, env, map[string]any{"cmd": "true", "workdir": "sub/f.txt"}), true, []string{"not a directory"})
	check(t, runTool(t, writeStdinTool{}, env, map[string]any{"session_id": 4242}), true, []string{"no command is running with session ID 4242"})
}

// A command still running at its yield time returns a session; polling it
// with empty chars gets the rest and its exit code.
func TestExecYieldsAndIsPolled(t *testing.T) {
	env := execEnv(t)
	// The command ends once the first call returned: the test makes the
	// file it waits for then. The yield gives the shell 500 ms to start.
	res := runTool(t, execCommandTool{}, env, map[string]any{"cmd": "echo started; until [ -e go-on ]; do sleep 0.02; done; echo finished", "yield_time_ms": 500})
	if err := os.WriteFile(filepath.Join(env.Root, "go-on"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	id := sessionID(t, res)
	check(t, res, false, []string{"started"}, "finished", "exited")
	res = runTool(t, writeStdinTool{}, env, map[string]any{"session_id": id, "chars": "", "yield_time_ms": 10000})
	check(t, res, false, []string{"finished", "Process exited with code 0"}, "started")
	check(t, runTool(t, writeStdinTool{}, env, map[string]any{"session_id": id}), true, []string{"no command is running"})
}

// write_stdin feeds a command's input, on pipes and in a PTY.
func TestWriteStdinFeedsInput(t *testing.T) {
	for _, tty := range []bool{false, true} {
		t.Run("tty="+strconv.FormatBool(tty), func(t *testing.T) {
			env := execEnv(t)
			res := runTool(t, execCommandTool{}, env, map[string]any{"cmd": "read line; echo got:$line; [ -t 0 ] && echo terminal; true", "tty": tty, "yield_time_ms": 250})
			id := sessionID(t, res)
			res = runTool(t, writeStdinTool{}, env, map[string]any{"session_id": id, "chars": "hello\n", "yield_time_ms": 10000})
			check(t, res, false, []string{"got:hello", "Process exited with code 0"})
			if got := strings.Contains(res.Output, "terminal"); got != tty {
				t.Errorf("stdin a terminal: %v, want %v:\n%s", got, tty, res.Output)
			}
		})
	}
}

// A ^C written to a command in a PTY interrupts it.
func TestWriteStdinInterruptsInATerminal(t *testing.T) {
	env := execEnv(t)
	id := sessionID(t, runTool(t, execCommandTool{}, env, map[string]any{"cmd": "sleep 30", "tty": true, "yield_time_ms": 250}))
	res := runTool(t, writeStdinTool{}, env, map[string]any{"session_id": id, "chars": "\x03", "yield_time_ms": 10000})
	check(t, res, false, []string{"Process exited with code"})
}

// pidOf waits for a command to write its background job's pid to file.
func pidOf(t *testing.T, file string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(file); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err == nil {
				return pid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no pid in %s", file)
	return 0
}

// Closing the session kills its yielded commands with what they started,
// on pipes and in a PTY.
func TestExecsCloseKillsTheGroups(t *testing.T) {
	for _, tty := range []bool{false, true} {
		t.Run("tty="+strconv.FormatBool(tty), func(t *testing.T) {
			env := execEnv(t)
			pidFile := filepath.Join(t.TempDir(), "pid")
			res := runTool(t, execCommandTool{}, env, map[string]any{"cmd": "sleep 60 & echo $! > " + pidFile + "; wait", "tty": tty, "yield_time_ms": 250})
			sessionID(t, res)
			pid := pidOf(t, pidFile)
			env.Close()
			waitGone(t, pid)
			check(t, runTool(t, execCommandTool{}, env, map[string]any{"cmd": "true"}), true, []string{"session is closed"})
		})
	}
}

// A cancelled call kills the command it waits on, with its group.
func TestExecCancelKillsTheGroup(t *testing.T) {
	env := execEnv(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		pidOf(t, pidFile)
		cancel()
	}()
	res, err := runToolErr(t, ctx, execCommandTool{}, env, map[string]any{"cmd": "sleep 60 & echo $! > " + pidFile + "; wait", "yield_time_ms": 30000})
	if err == nil || !res.IsError || !strings.Contains(res.Output, "cancelled") {
		t.Fatalf("cancelled call: %v %+v", err, res)
	}
	waitGone(t, pidOf(t, pidFile))
	if env.Execs.Len() != 0 {
		t.Errorf("%d sessions left after cancel", env.Execs.Len())
	}
}

// At most MaxExecSessions commands run: one more ends the least recently
// used.
func TestExecSessionLimit(t *testing.T) {
	env := execEnv(t)
	first := sessionID(t, runTool(t, execCommandTool{}, env, map[string]any{"cmd": "sleep 60", "yield_time_ms": 250}))
	// The others start together: each call waits out its 250 ms yield.
	var wg sync.WaitGroup
	for range MaxExecSessions - 1 {
		wg.Go(func() {
			res, err := execCommandTool{}.Run(context.Background(), env, json.RawMessage(`{"cmd":"sleep 60","yield_time_ms":250}`))
			if err != nil || !strings.Contains(res.Output, "Process running with session ID") {
				t.Errorf("a command did not yield a session: %v %s", err, res.Output)
			}
		})
	}
	wg.Wait()
	res := runTool(t, execCommandTool{}, env, map[string]any{"cmd": "sleep 60", "yield_time_ms": 250})
	check(t, res, false, []string{"session " + strconv.Itoa(first) + ", the least recently used, was ended"})
	if n := env.Execs.Len(); n != MaxExecSessions {
		t.Errorf("%d sessions, want %d", n, MaxExecSessions)
	}
	check(t, runTool(t, writeStdinTool{}, env, map[string]any{"session_id": first}), true, []string{"no command is running"})
}

// Long output keeps its start and end, within the budget asked for.
func TestExecOutputIsTruncated(t *testing.T) {
	env := execEnv(t)
	res := runTool(t, execCommandTool{}, env, map[string]any{"cmd": "seq 1 100000", "max_output_tokens": 100})
	check(t, res, false, []string{"Output:\n1\n2\n3\n", "tokens truncated…", "99999\n100000\n", "Original token count: 147224"})
	if _, out, _ := strings.Cut(res.Output, "Output:\n"); len(out) > 100*4+40 {
		t.Errorf("output of %d bytes for a budget of 100 tokens", len(out))
	}
}

// The output sink gets the output while the call waits.
func TestExecStreamsOutput(t *testing.T) {
	env := execEnv(t)
	var mu sync.Mutex
	var got strings.Builder
	ctx := WithOutputSink(context.Background(), func(s string) {
		mu.Lock()
		got.WriteString(s)
		mu.Unlock()
	})
	res, err := runToolErr(t, ctx, execCommandTool{}, env, map[string]any{"cmd": "echo one; sleep 0.2; echo two"})
	if err != nil || res.IsError {
		t.Fatal(err, res)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.String() != "one\ntwo\n" {
		t.Errorf("streamed %q", got.String())
	}
}

func TestTruncate(t *testing.T) {
	tokens := TruncationPolicy{Mode: "tokens", Limit: 5} // 20 bytes
	bytes := TruncationPolicy{Mode: "bytes", Limit: 10}
	tests := []struct {
		in   string
		p    TruncationPolicy
		want string
	}{
		{"short", tokens, "short"},
		{strings.Repeat("a", 20), tokens, strings.Repeat("a", 20)},
		{"0123456789" + strings.Repeat("-", 100) + "abcdefghij", tokens, "0123456789…25 tokens truncated…abcdefghij"},
		{"01234" + strings.Repeat("-", 50) + "vwxyz", bytes, "01234…50 bytes truncated…vwxyz"},
		// A rune cut by the budget is dropped whole, not split.
		{"abcdé" + strings.Repeat("-", 50) + "évwxyz", TruncationPolicy{Mode: "bytes", Limit: 11}, "abcd…54 bytes truncated…vwxyz"},
	}
	for _, tt := range tests {
		if got := Truncate(tt.in, tt.p); got != tt.want {
			t.Errorf("Truncate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A sandboxed Env runs the command through the sandbox's wrapper, with a
// temp dir of its own, and a failure that looks like a denial gets the
// sandbox's hint.
func TestExecRunsInTheSandbox(t *testing.T) {
	env := execEnv(t)
	var wrapped []string
	env.Sandbox = &CommandSandbox{
		Wrap: func(argv []string, writable ...string) ([]string, error) {
			wrapped = append([]string(nil), argv...)
			// A stand-in sandbox: runs the command with a marker set.
			return append([]string{"env", "IN_SANDBOX=" + strings.Join(writable, ":")}, argv...), nil
		},
		Hint: "(sandbox hint)",
	}
	res := runTool(t, execCommandTool{}, env, map[string]any{"cmd": `echo "in=$IN_SANDBOX tmp=$TMPDIR"; echo "Permission denied" >&2; exit 1`})
	if len(wrapped) != 3 || wrapped[2] != `echo "in=$IN_SANDBOX tmp=$TMPDIR"; echo "Permission denied" >&2; exit 1` {
		t.Fatalf("wrapped %q", wrapped)
	}
	m := regexp.MustCompile(`in=(\S+) tmp=(\S+)`).FindStringSubmatch(res.Output)
	if m == nil || m[1] != m[2] || !strings.Contains(m[1], "deckhand-cmd-") {
		t.Fatalf("output %q", res.Output)
	}
	check(t, res, false, []string{"Process exited with code 1", "(sandbox hint)"})
	if _, err := os.Stat(m[1]); err == nil {
		t.Errorf("the command's temp dir %s is left", m[1])
	}
}
