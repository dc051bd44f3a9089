//go:build unix

package tools

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestBash(t *testing.T) {
	env := newTestEnv(t, map[string]string{"here.txt": "x"})
	tests := []struct {
		name    string
		args    map[string]any
		isError bool
		want    string // exact output
	}{
		{"output and exit code", map[string]any{"command": "echo hello"}, false, "hello\nexit code: 0"},
		{"non-zero exit is not a tool error", map[string]any{"command": "echo out; exit 3"}, false, "out\nexit code: 3"},
		{"stdout and stderr interleaved", map[string]any{"command": "echo a; echo b >&2; echo c; echo d >&2"}, false, "a\nb\nc\nd\nexit code: 0"},
		{"runs in the workspace root", map[string]any{"command": "ls; pwd"}, false, "here.txt\n" + env.Root + "\nexit code: 0"},
		{"no output", map[string]any{"command": "true"}, false, "(no output)\nexit code: 0"},
		{"no final newline", map[string]any{"command": "printf abc"}, false, "abc\nexit code: 0"},
		{"stdin is empty", map[string]any{"command": "cat; echo done"}, false, "done\nexit code: 0"},
		{"killed by a signal", map[string]any{"command": "kill -TERM $$"}, false, "(no output)\nexit code: -1 (killed by signal: terminated)"},
		{"timeout clamped", map[string]any{"command": "echo ok", "timeoutMs": 9_999_999}, false,
			"(timeoutMs 9999999 is above the maximum; using 600000)\nok\nexit code: 0"},
		{"timeout that would overflow clamped", map[string]any{"command": "echo ok", "timeoutMs": int64(9223372036855)}, false,
			"(timeoutMs 9223372036855 is above the maximum; using 600000)\nok\nexit code: 0"},
		{"largest timeout clamped", map[string]any{"command": "echo ok", "timeoutMs": int64(math.MaxInt64)}, false,
			"(timeoutMs 9223372036854775807 is above the maximum; using 600000)\nok\nexit code: 0"},
		{"empty command", map[string]any{"command": "  "}, true, "invalid arguments: command must not be empty"},
		{"negative timeout", map[string]any{"command": "true", "timeoutMs": -5}, true, "invalid arguments: timeoutMs must be positive"},
		{"timeout of the wrong type", map[string]any{"command": "true", "timeoutMs": "10"}, true, `invalid arguments: "timeoutMs" must be of type integer, not string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runTool(t, bashTool{}, env, tt.args)
			if res.IsError != tt.isError || res.Output != tt.want {
				t.Errorf("got (error %v):\n%q\nwant (error %v):\n%q", res.IsError, res.Output, tt.isError, tt.want)
			}
		})
	}
}

// Commands do not see deckhand's credentials or anything named like a
// secret; the rest of the environment, PATH first, is theirs.
func TestBashEnvironmentHasNoSecrets(t *testing.T) {
	env := newTestEnv(t, map[string]string{"here.txt": "x"})
	for name, value := range map[string]string{
		"OPENAI_API_KEY":    "sk-must-not-leak",
		"OPENAI_BASE_URL":   "http://leak.example",
		"FOO_TOKEN":         "tok-must-not-leak",
		"DECKHAND_HOME":     "/must/not/leak",
		"db_password":       "pw-must-not-leak",
		"AWS_SECRET_ACCESS": "aws-must-not-leak",
		"KEEP_ME":           "kept",
	} {
		t.Setenv(name, value)
	}
	res := runTool(t, bashTool{}, env, map[string]any{
		"command": `echo "[$OPENAI_API_KEY$OPENAI_BASE_URL$FOO_TOKEN$DECKHAND_HOME$db_password$AWS_SECRET_ACCESS]" $KEEP_ME; ls`,
	})
	if want := "[] kept\nhere.txt\nexit code: 0"; res.IsError || res.Output != want {
		t.Errorf("got (error %v) %q, want %q", res.IsError, res.Output, want)
	}
	res = runTool(t, bashTool{}, env, map[string]any{"command": "env"})
	check(t, res, false, []string{"PATH=", "KEEP_ME=kept"}, "must-not-leak", "leak.example")
}

func TestCommandEnv(t *testing.T) {
	in := []string{
		"PATH=/usr/bin", "HOME=/home/u", "LANG=C.UTF-8", "SSH_AUTH_SOCK=/tmp/agent", "TERM=dumb",
		"OPENAI_API_KEY=sk", "OPENAI_ORG=o", "openai_x=1", "DECKHAND_HOME=/d", "GITHUB_TOKEN=t",
		"NPM_AUTH_TOKEN=t", "MY_KEY=k", "apikey=k", "CLIENT_SECRET=s", "PGPASSWORD=p", "Password=p",
		"GITHUB_PAT=p", "BASIC_AUTH=u:p", "HTTP_AUTHORIZATION=Bearer x", "SESSION_COOKIE=c", "GOOGLE_APPLICATION_CREDENTIALS=/c.json",
		"SSH_PRIVATE=k", "MYSQL_PASS=p", "SMTP_PASSWD=p", "DATABASE_URL=postgres://app:hunter2@db:5432/app",
		"REDIS=redis://:pw@cache:6379", "MIRRORS=http://a.example,https://u:p@b.example/x",
		"GIT_AUTHOR_NAME=Ann", "GIT_AUTHOR_EMAIL=a@example.com", "PATTERN=x", "XDG_DATA_DIRS=/usr/share",
		"HOMEPAGE=https://example.com/a@b", "PUBLIC_URL=https://user@host/x",
	}
	want := []string{"PATH=/usr/bin", "HOME=/home/u", "LANG=C.UTF-8", "SSH_AUTH_SOCK=/tmp/agent", "TERM=dumb",
		"GIT_AUTHOR_NAME=Ann", "GIT_AUTHOR_EMAIL=a@example.com", "PATTERN=x", "XDG_DATA_DIRS=/usr/share",
		"HOMEPAGE=https://example.com/a@b", "PUBLIC_URL=https://user@host/x"}
	if got := commandEnv(in); !slices.Equal(got, want) {
		t.Errorf("commandEnv = %q, want %q", got, want)
	}
}

func TestBashOutputKeepsHeadAndTail(t *testing.T) {
	env := newTestEnv(t, nil)
	res := runTool(t, bashTool{}, env, map[string]any{
		"command": "echo START; head -c 100000 /dev/zero | tr '\\0' a; echo; echo END",
	})
	check(t, res, false, []string{"START\naaa", "bytes omitted", "aaa\nEND\nexit code: 0"})
	if len(res.Output) > bashMaxOutput+200 {
		t.Errorf("output is %d bytes", len(res.Output))
	}
	// 6 (START\n) + 100000 + 1 + 4 (END\n) bytes were written.
	omitted := 100011 - bashMaxOutput
	check(t, res, false, []string{"... " + strconv.Itoa(omitted) + " bytes omitted ..."})
}

// waitGone waits until the process pid no longer runs (a zombie left for an
// init that does not reap counts as gone). The deadline is only a hang guard.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	if pid <= 0 {
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		if fields := strings.Fields(string(stat)); len(fields) > 2 && fields[2] == "Z" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("process %d still runs", pid)
}

// readPid waits for a command to write its grandchild's pid to a file. It
// may run on any goroutine, so it reports a failure without stopping.
func readPid(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(path)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && pid > 0 {
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("no pid in %s", path)
	return 0
}

// grandchild starts a sleep two levels down (bash, a subshell, sleep) that
// holds the output pipe, records its pid, and waits.
const grandchild = `(sleep 300 & echo $! > gc.pid; wait) & wait`

func TestBashTimeoutKillsTheProcessGroup(t *testing.T) {
	env := newTestEnv(t, nil)
	res := runTool(t, bashTool{}, env, map[string]any{"command": "echo begun; " + grandchild, "timeoutMs": 500})
	check(t, res, true, []string{"begun\n", "timed out after 500ms: the command and everything it started were killed"})
	waitGone(t, readPid(t, filepath.Join(env.Root, "gc.pid")))
}

func TestBashCancelKillsTheProcessGroup(t *testing.T) {
	env := newTestEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pidFile := filepath.Join(env.Root, "gc.pid")
	done := make(chan int)
	go func() {
		pid := readPid(t, pidFile)
		cancel()
		done <- pid
	}()
	res, err := runToolErr(t, ctx, bashTool{}, env, map[string]any{"command": grandchild})
	pid := <-done
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	check(t, res, true, []string{"cancelled: the command and everything it started were killed"})
	waitGone(t, pid)
}

func TestBashKillsWhatItLeavesBehind(t *testing.T) {
	env := newTestEnv(t, nil)
	// The background sleep keeps the output pipe open; the call still ends
	// when bash does, and the sleep goes with it.
	res := runTool(t, bashTool{}, env, map[string]any{"command": "sleep 300 & echo $! > bg.pid; echo started"})
	if res.IsError || res.Output != "started\nexit code: 0" {
		t.Errorf("got (error %v): %q", res.IsError, res.Output)
	}
	waitGone(t, readPid(t, filepath.Join(env.Root, "bg.pid")))
}

func TestHeadTail(t *testing.T) {
	tests := []struct {
		name   string
		limit  int
		writes []string
		want   string
	}{
		{"under the limit", 10, []string{"abc", "def"}, "abcdef"},
		{"exactly the limit", 6, []string{"abc", "def"}, "abcdef"},
		{"over, one write", 6, []string{"abcdefghij"}, "abc\n... 4 bytes omitted ...\nhij"},
		{"over, many writes", 6, []string{"ab", "cd", "ef", "gh", "ij", "kl"}, "abc\n... 6 bytes omitted ...\njkl"},
		{"tail buffer rolls", 4, []string{"ab", "c", "d", "e", "f", "g", "h"}, "ab\n... 4 bytes omitted ...\ngh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newHeadTail(tt.limit)
			for _, s := range tt.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if got := w.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
