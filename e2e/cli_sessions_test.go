package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

var sessionIDInStderr = regexp.MustCompile(`session (ses_[0-9a-f]+)\]`)

func TestExecResumeAndSessions(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	defer fake.Close()
	home, ws, elsewhere := t.TempDir(), t.TempDir(), t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())

	out, _, code := run(t, fake, home, ws, "", "sessions")
	if code != 0 || !strings.Contains(out, "No sessions of this workspace yet") {
		t.Fatalf("sessions before any: %d %q", code, out)
	}
	_, errOut, code := run(t, fake, home, ws, "", "exec", "--resume", "go on")
	if code == 0 || !strings.Contains(errOut, "no session of this workspace to resume") {
		t.Fatalf("resume with nothing to resume: %d %q", code, errOut)
	}

	fake.PushCodex(upstreamtest.Text("first answer"), upstreamtest.Text("other answer"))
	_, errOut, code = run(t, fake, home, ws, "", "exec", "plan the release")
	m := sessionIDInStderr.FindStringSubmatch(errOut)
	if code != 0 || m == nil {
		t.Fatalf("exec: %d %q", code, errOut)
	}
	first := m[1]
	if _, errOut, code = run(t, fake, home, elsewhere, "", "exec", "something else"); code != 0 {
		t.Fatalf("exec elsewhere: %d %q", code, errOut)
	}

	out, _, code = run(t, fake, home, ws, "", "sessions")
	if code != 0 || !strings.Contains(out, first) || !strings.Contains(out, "plan the release") || strings.Contains(out, "something else") {
		t.Fatalf("sessions of ws:\n%s", out)
	}
	out, _, _ = run(t, fake, home, ws, "", "sessions", "--all")
	if !strings.Contains(out, "plan the release") || !strings.Contains(out, "something else") {
		t.Fatalf("sessions --all:\n%s", out)
	}

	// The last session of this workspace, though another one ran since.
	fake.PushCodex(upstreamtest.Text("second answer"))
	out, errOut, code = run(t, fake, home, ws, "", "exec", "--resume", "and then?")
	if code != 0 || !strings.Contains(out, "second answer") || !strings.Contains(errOut, first) {
		t.Fatalf("exec --resume: %d %q %q", code, out, errOut)
	}
	reqs := fake.RequestsTo(codexPath)
	in := afterContext(input(t, reqs, len(reqs)-1))
	if len(in) != 3 || itemText(in[0]) != "plan the release" || itemText(in[1]) != "first answer" || itemText(in[2]) != "and then?" {
		t.Fatalf("resumed request input %v", in)
	}

	// By id, in both spellings.
	fake.PushCodex(upstreamtest.Text("third"), upstreamtest.Text("fourth"))
	if _, errOut, code = run(t, fake, home, elsewhere, "", "exec", "--resume", first, "more"); code != 0 {
		t.Fatalf("exec --resume ID: %d %q", code, errOut)
	}
	if _, errOut, code = run(t, fake, home, ws, "", "exec", "--resume="+first, "more again"); code != 0 {
		t.Fatalf("exec --resume=ID: %d %q", code, errOut)
	}
	reqs = fake.RequestsTo(codexPath)
	if n := len(afterContext(input(t, reqs, len(reqs)-1))); n != 7 {
		t.Errorf("the fourth turn carries %d items, want 7", n)
	}
	_, errOut, code = run(t, fake, home, ws, "", "exec", "--resume=ses_nope", "hi")
	if code == 0 || !strings.Contains(errOut, `no session "ses_nope"`) || strings.Contains(errOut, "sessionId") {
		t.Errorf("resume of an unknown session: %d %q", code, errOut)
	}
}
