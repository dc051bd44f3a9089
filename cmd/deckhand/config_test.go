package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// parse reads args as Run's flag set does, with the environment env (every
// variable the flags read is cleared first).
func parse(t *testing.T, env map[string]string, args ...string) (*options, error) {
	t.Helper()
	for _, k := range []string{"DECKHAND_HOME", "XDG_DATA_HOME", "DECKHAND_OAUTH_PORT", "DECKHAND_WIRE_VERSION",
		"NO_BROWSER", "OPENAI_API_KEY", "OPENAI_ORG_ID", "OPENAI_ORGANIZATION", "OPENAI_PROJECT_ID", "OPENAI_PROJECT",
		"DECKHAND_LOG_FILE", "DECKHAND_LOG_LEVEL", "DECKHAND_LIVE_WEB_SEARCH", "DECKHAND_NO_SANDBOX",
		"DECKHAND_APPROVAL_POLICY", "DECKHAND_SANDBOX"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", "/home/u")
	for k, v := range env {
		t.Setenv(k, v)
	}
	var o options
	err := newFlags(&o, io.Discard).Parse(args)
	return &o, err
}

// Each setting comes from its flag, else its environment variable, else
// its default.
func TestFlagsAndEnvironment(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(o *options) bool
	}{
		{"home by default", nil, nil, func(o *options) bool { return o.home == "/home/u/.local/share/deckhand" }},
		{"home under XDG_DATA_HOME", map[string]string{"XDG_DATA_HOME": "/data"}, nil,
			func(o *options) bool { return o.home == "/data/deckhand" && o.dataHome == "/data" }},
		{"DECKHAND_HOME", map[string]string{"DECKHAND_HOME": "/dh"}, nil, func(o *options) bool { return o.home == "/dh" }},
		{"--home over DECKHAND_HOME", map[string]string{"DECKHAND_HOME": "/dh"}, []string{"--home", "/flag"},
			func(o *options) bool { return o.home == "/flag" }},
		{"the user's home, for the tools' guards", nil, nil, func(o *options) bool { return o.userHome == "/home/u" && o.dataHome == "" }},
		{"NO_BROWSER", map[string]string{"NO_BROWSER": "1"}, nil, func(o *options) bool { return o.noBrowser }},
		{"a browser by default", nil, nil, func(o *options) bool { return !o.noBrowser }},
		{"oauth port by default", nil, nil, func(o *options) bool { return o.port == 1455 && o.portErr == nil }},
		{"DECKHAND_OAUTH_PORT", map[string]string{"DECKHAND_OAUTH_PORT": "2000"}, nil, func(o *options) bool { return o.port == 2000 }},
		{"a bad DECKHAND_OAUTH_PORT", map[string]string{"DECKHAND_OAUTH_PORT": "http"}, nil,
			func(o *options) bool {
				return o.portErr != nil && strings.Contains(o.portErr.Error(), "DECKHAND_OAUTH_PORT")
			}},
		{"DECKHAND_OAUTH_PORT out of range", map[string]string{"DECKHAND_OAUTH_PORT": "70000"}, nil, func(o *options) bool { return o.portErr != nil }},
		{"--oauth-port mends a bad variable", map[string]string{"DECKHAND_OAUTH_PORT": "http"}, []string{"--oauth-port", "3000"},
			func(o *options) bool { return o.port == 3000 && o.portErr == nil }},
		{"organization", map[string]string{"OPENAI_ORGANIZATION": "org-b"}, nil, func(o *options) bool { return o.organization == "org-b" }},
		{"OPENAI_ORG_ID first", map[string]string{"OPENAI_ORG_ID": "org-a", "OPENAI_ORGANIZATION": "org-b"}, nil,
			func(o *options) bool { return o.organization == "org-a" }},
		{"sandbox variables", map[string]string{"DECKHAND_NO_SANDBOX": "1", "DECKHAND_APPROVAL_POLICY": "never", "DECKHAND_SANDBOX": "read-only"}, nil,
			func(o *options) bool {
				return o.noSandbox && o.approvalPolicy == "never" && o.sandboxMode == "read-only"
			}},
		{"durations", nil, []string{"--browser-timeout", "3m", "--retry-delay", "1s"},
			func(o *options) bool { return o.browserTimeout == 3*time.Minute && o.retryBase == time.Second }},
		{"live web search", map[string]string{"DECKHAND_LIVE_WEB_SEARCH": "1"}, nil, func(o *options) bool { return o.liveWebSearch }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := parse(t, c.env, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(o) {
				t.Errorf("options %+v", *o)
			}
		})
	}
}

// A value a flag cannot take is refused when parsed.
func TestFlagsRefuseBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"--oauth-port", "0"},
		{"--wire-version", "latest"},
		{"--approval-policy", "sometimes"},
		{"--sandbox", "everything"},
		{"--max-steps", "many"},
	} {
		if _, err := parse(t, nil, args...); err == nil {
			t.Errorf("%v was taken", args)
		}
	}
}

// Run: flags may follow the command, a bad setting exits 2 with a word on
// stderr, an unknown command too, and nothing of it reaches stdout.
func TestRunArguments(t *testing.T) {
	home := t.TempDir()
	cases := []struct {
		name    string
		env     map[string]string
		args    []string
		code    int
		out     string // in stdout
		errText string // in stderr
	}{
		{"version", nil, []string{"--version"}, 0, "deckhand " + version, ""},
		{"flags after the command", nil, []string{"status", "--version"}, 0, "deckhand " + version, ""},
		{"status", nil, []string{"status", "--home", home}, 0, "Not logged in", ""},
		{"unknown command", nil, []string{"--home", home, "fly"}, 2, "", `unknown command "fly"`},
		{"bad wire version", map[string]string{"DECKHAND_WIRE_VERSION": "v2"}, []string{"--home", home, "status"}, 2, "", "DECKHAND_WIRE_VERSION"},
		{"bad port variable", map[string]string{"DECKHAND_OAUTH_PORT": "http"}, []string{"--home", home, "status"}, 2, "", "DECKHAND_OAUTH_PORT"},
		{"bad log level", nil, []string{"--home", home, "--log-level", "loud", "status"}, 2, "", "log level"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parse(t, c.env) // the same clean environment
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), c.args, strings.NewReader(""), &stdout, &stderr)
			if code != c.code || !strings.Contains(stdout.String(), c.out) || !strings.Contains(stderr.String(), c.errText) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout.String(), stderr.String(), c.code, c.out, c.errText)
			}
			if c.code != 0 && stdout.Len() > 0 {
				t.Errorf("a refusal wrote to stdout: %q", stdout.String())
			}
		})
	}
}

// The log goes to the file named, never to stdout, at the level named.
func TestLoggerToFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "logs", "deckhand.log")
	log, err := newLogger(&options{logFile: file, logLevel: "warn"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("quiet")
	log.Warn("loud")
	log.Sync()
	b, _ := os.ReadFile(file)
	if !strings.Contains(string(b), "loud") || strings.Contains(string(b), "quiet") {
		t.Errorf("log file: %q", b)
	}
}

func TestIsWireVersion(t *testing.T) {
	for v, want := range map[string]bool{
		"0.171.0": true, "1.2.3": true, "1234.0.9999": true,
		"": false, "1.2": false, "1.2.3.4": false, "12345.1.1": false, "1..2": false, ".1.2": false,
		"a.b.c": false, "v1.2.3": false, "1.2.3\n": false, "+1.2.3": false, "1.2.-3": false, "１.2.3": false,
	} {
		if got := isWireVersion(v); got != want {
			t.Errorf("isWireVersion(%q) = %v, want %v", v, got, want)
		}
	}
}
