package tools

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestHostileEditDiagnosisBounded: the diagnosis of an edit that did not
// match gives up on an input built to make it quadratic (millions of equal
// lines, an oldString of 2,000 of them whose last differs) instead of
// burning a core for minutes.
func TestHostileEditDiagnosisBounded(t *testing.T) {
	content := strings.Repeat("\tx = 1\n", 1<<20)
	old := strings.Repeat("x = 1\n", 1999) + "y = 2\n"
	done := make(chan string, 1)
	go func() { done <- explainNoMatch(content, old, "big.go") }()
	select {
	case msg := <-done:
		if !strings.Contains(msg, "was not found") {
			t.Errorf("diagnosis %q", msg)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the no-match diagnosis is still running after a minute")
	}
}

// endlessLine is a file of one line that never ends.
type endlessLine struct{}

func (endlessLine) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestHostileReadStopsOnCancel: reading one endless line stops when the
// call is cancelled (it checked only every 4096 lines).
func TestHostileReadStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := readPage(ctx, endlessLine{}, 1, 10)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("an endless read ended without an error")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the read goes on after its call was cancelled")
	}
}

// TestHostileBashEnvSecrets: the secrets of the last attack's list do not
// reach a command, names and values alike, nor what the user names in
// DECKHAND_HIDE_ENV; what commands need stays.
func TestHostileBashEnvSecrets(t *testing.T) {
	secret := []string{
		"BW_SESSION=abc", "OP_SESSION_my=abc", "OP_SESSION_team_1=abc", "MYSQL_PWD=abc", "CI_JOB_JWT=abc",
		"CI_JOB_JWT_V2=abc", "SENTRY_DSN=https://k@o1.ingest.sentry.io/1", "DB_DSN=abc", "AZURE_STORAGE_SAS=abc",
		"SQL_CONNECTION_STRING=abc", "DB_CONN_STR=abc", "AZURE_CONNSTR=abc", "SLACK_WEBHOOK_URL=https://hooks.slack.com/x",
		"REDIS_URL=redis://:pw@cache:6379", "MONGO=mongodb://u:p@h/db", "ADO=Server=db;Database=x;User Id=u;Password=p;",
		"ODBC=Driver={x};Uid=u;Pwd=p", "ID_TOKEN=abc", "VAULT_TOKEN=abc", "GITHUB_TOKEN=abc", "NPM_CONFIG__AUTH=abc",
		"MY_VAR=ghp_0123456789abcdefghijABCDEFGHIJ", "X=github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
		"X2=glpat-0123456789abcdefghij", "X3=xoxb-1234567890-abcdefghij", "X4=sk-proj-0123456789abcdefghijkl",
		"X5=AKIAIOSFODNN7EXAMPLE", "X6=AIzaSyA0123456789abcdefghijklmnopqrstu", "X7=hf_abcdefghijklmnopqrstuvwxyz0123456",
		"X8=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig", "X9=sk_live_0123456789abcdefABCD",
		"MYCO_INTERNAL=abc", "other_thing=abc",
	}
	kept := []string{
		"PATH=/usr/bin", "PWD=/w", "OLDPWD=/", "HOME=/home/u", "LANG=sk_SK.UTF-8", "XDG_SESSION_TYPE=x11",
		"XDG_SESSION_ID=3", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus", "SESSION_MANAGER=local/x",
		"DESKTOP_SESSION=gnome", "SSH_AUTH_SOCK=/tmp/a", "GIT_AUTHOR_NAME=me", "SSL_CERT_FILE=/etc/ssl/c.pem",
		"GOPATH=/go", "EDITOR=vim", "DATABASE_URL=postgres://db/app", "TERM=xterm", "PS1=$ ",
	}
	env := append(append([]string{"DECKHAND_HIDE_ENV=MYCO_*,Other_Thing"}, secret...), kept...)
	got := strings.Join(commandEnv(env), "\n") + "\n"
	for _, kv := range secret {
		if strings.Contains(got, kv+"\n") {
			t.Errorf("%s reached the command", kv)
		}
	}
	for _, kv := range kept {
		if !strings.Contains(got, kv+"\n") {
			t.Errorf("%s was kept from the command", kv)
		}
	}
}

// TestHostileOtherAgentsCredentials: with the workspace at the home
// folder, other coding agents' and tools' credential files need the user's
// permission to read, as ~/.ssh does; the list is data, every entry of it
// is guarded, and the files of the last attack are in it.
func TestHostileOtherAgentsCredentials(t *testing.T) {
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHome(t, HomeConfig{UserHome: home})
	for _, want := range []string{".claude/.credentials.json", ".config/github-copilot", ".gemini/oauth_creds.json", ".pgpass", ".vault-token"} {
		if !slices.Contains(guardedNames(), want) {
			t.Errorf("%s is not in the list of credential stores", want)
		}
	}
	for _, name := range guardedNames() {
		file := name
		if !strings.Contains(filepath.Base(name), ".json") && !strings.Contains(name, "/") {
			file = name + "/secret"
		}
		writeTestFile(t, filepath.Join(home, file), "SECRET")
		args, _ := json.Marshal(map[string]string{"path": file})
		if _, ask := h.NeedsPermission(home, "read", args); !ask {
			t.Errorf("reading %s does not ask", file)
		}
	}
	args, _ := json.Marshal(map[string]string{"path": "notes.txt"})
	writeTestFile(t, filepath.Join(home, "notes.txt"), "x")
	if _, ask := h.NeedsPermission(home, "read", args); ask {
		t.Errorf("an ordinary file asks")
	}
}
