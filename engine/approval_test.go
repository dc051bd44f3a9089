package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/tools/sandbox"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// TestMain lets the test binary be deckhand's sandbox re-exec, and fails
// the tests when a goroutine outlives them.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == sandbox.Command {
		os.Exit(sandbox.Main(os.Args[2:], os.Stderr))
	}
	goleak.VerifyTestMain(m)
}

// approvalEngine is a test engine whose client asks, in a session of its
// own workspace, with sb as its sandbox.
func approvalEngine(t *testing.T, sb sandbox.Sandbox, decision Decision) (*Engine, *upstreamtest.Server, *asker, string, string) {
	t.Helper()
	e, fake := testEngine(t, tools.All()...)
	e.cfg.AllowAll = false
	e.cfg.Sandbox = sb
	ws := t.TempDir()
	ask := &asker{decision: decision}
	id, err := e.NewSession(SessionOptions{Root: ws, Permissions: true, Client: ask})
	if err != nil {
		t.Fatal(err)
	}
	return e, fake, ask, id, ws
}

// landlock is this machine's sandbox with the test binary as the re-exec;
// the test is skipped where the kernel has no Landlock.
func landlock(t *testing.T) sandbox.Sandbox {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	sb := sandbox.Detect(self)
	if !sb.Available() {
		t.Skipf("no sandbox on this machine, the sandboxed path cannot be tested here: %s", sb.Reason)
	}
	return sb
}

// bashTurn runs one turn whose model calls bash with args, and returns what
// the model was told.
func bashTurn(t *testing.T, e *Engine, fake *upstreamtest.Server, req ChatRequest, args string) string {
	t.Helper()
	fake.PushCodex(upstreamtest.Step().Call("b", "bash", args).Reply(), upstreamtest.Text("ok"))
	if err := e.CheckChat(req); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	reqs := fake.RequestsTo("/backend-api/codex/responses")
	body := string(reqs[len(reqs)-1].Body)
	return body
}

func TestNoSandboxAsksEveryCommand(t *testing.T) {
	e, fake, ask, id, ws := approvalEngine(t, sandbox.Off("test"), Allow)
	bashTurn(t, e, fake, ChatRequest{SessionID: id, Message: "go"}, `{"command":"ls"}`)
	if len(ask.asked) != 1 || ask.asked[0].Preview == nil || ask.asked[0].Preview.Sandboxed == nil || *ask.asked[0].Preview.Sandboxed {
		t.Fatalf("asked %+v, want one request for a command outside the sandbox", ask.asked)
	}
	out := bashTurn(t, e, fake, ChatRequest{SessionID: id, Message: "go", ApprovalPolicy: "never"}, `{"command":"touch made.txt"}`)
	if len(ask.asked) != 1 || !strings.Contains(out, "there is no sandbox on this machine") {
		t.Errorf("under never without a sandbox: asked %d times, model told %s", len(ask.asked), out)
	}
	if _, err := os.Stat(filepath.Join(ws, "made.txt")); err == nil {
		t.Error("the refused command ran")
	}
}

func TestOnRequestRunsSandboxedWithoutAsking(t *testing.T) {
	e, fake, ask, id, ws := approvalEngine(t, landlock(t), Allow)
	outside := t.TempDir() // in the temp folder, which is writable: use the home instead
	home := e.cfg.Home
	out := bashTurn(t, e, fake, ChatRequest{SessionID: id, Message: "go"},
		`{"command":"echo in > made.txt && cat `+filepath.Join(home, "auth.json")+`"}`)
	if len(ask.asked) != 0 {
		t.Fatalf("a sandboxed command asked: %+v", ask.asked)
	}
	if b, _ := os.ReadFile(filepath.Join(ws, "made.txt")); string(b) != "in\n" {
		t.Errorf("the workspace write did not land: %q", b)
	}
	if strings.Contains(out, "acct_test_1") || !strings.Contains(out, "ran in a sandbox") {
		t.Errorf("the login was read, or the denial carries no hint: %s", out)
	}
	// An escalation asks, with its justification, and runs outside.
	bashTurn(t, e, fake, ChatRequest{SessionID: id, Message: "go"},
		`{"command":"echo out > `+filepath.Join(outside, "x")+`","sandbox_permissions":"require_escalated","justification":"write x?"}`)
	if len(ask.asked) != 1 {
		t.Fatalf("the escalation asked %d times", len(ask.asked))
	}
	p := ask.asked[0].Preview
	if p == nil || p.Sandboxed == nil || *p.Sandboxed || p.Justification != "write x?" {
		t.Errorf("escalation preview %+v", p)
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "x")); string(b) != "out\n" {
		t.Errorf("the allowed escalation did not run outside the sandbox: %q", b)
	}
	// never refuses it without asking.
	out = bashTurn(t, e, fake, ChatRequest{SessionID: id, Message: "go", ApprovalPolicy: "never"},
		`{"command":"echo again > `+filepath.Join(outside, "y")+`","sandbox_permissions":"require_escalated","justification":"y?"}`)
	if len(ask.asked) != 1 || !strings.Contains(out, `the approval policy is \"never\"`) {
		t.Errorf("never: asked %d times, model told %s", len(ask.asked), out)
	}
	if _, err := os.Stat(filepath.Join(outside, "y")); err == nil {
		t.Error("the refused escalation ran")
	}
	// A value the tool does not know is the model's mistake.
	out = bashTurn(t, e, fake, ChatRequest{SessionID: id, Message: "go"}, `{"command":"true","sandbox_permissions":"root"}`)
	if len(ask.asked) != 1 || !strings.Contains(out, "sandbox_permissions must be") {
		t.Errorf("an unknown sandbox_permissions: %s", out)
	}
}

func TestUntrustedAsksButForReadOnlyCommands(t *testing.T) {
	e, fake, ask, id, ws := approvalEngine(t, landlock(t), AllowAlways)
	if err := e.SetApprovals("untrusted", ""); err != nil {
		t.Fatal(err)
	}
	bashTurn(t, e, fake, ChatRequest{SessionID: id, Message: "go"}, `{"command":"ls && git status || true"}`)
	if len(ask.asked) != 0 {
		t.Fatalf("a read-only command asked: %+v", ask.asked)
	}
	bashTurn(t, e, fake, ChatRequest{SessionID: id, Message: "go"}, `{"command":"touch made.txt"}`)
	if len(ask.asked) != 1 || ask.asked[0].Preview.Sandboxed == nil || !*ask.asked[0].Preview.Sandboxed {
		t.Fatalf("touch under untrusted: asked %+v", ask.asked)
	}
	if _, err := os.Stat(filepath.Join(ws, "made.txt")); err != nil {
		t.Errorf("the allowed command did not run: %v", err)
	}
	// Allowed for the session inside the sandbox; an escalation still asks.
	bashTurn(t, e, fake, ChatRequest{SessionID: id, Message: "go"}, `{"command":"touch two.txt"}`)
	bashTurn(t, e, fake, ChatRequest{SessionID: id, Message: "go"}, `{"command":"touch three.txt","sandbox_permissions":"require_escalated"}`)
	if len(ask.asked) != 2 || *ask.asked[1].Preview.Sandboxed {
		t.Errorf("after allowing for the session: %d requests", len(ask.asked))
	}
	// The chat's own policy wins for its turn.
	bashTurn(t, e, fake, ChatRequest{SessionID: id, Message: "go", ApprovalPolicy: "on-request", Sandbox: "read-only"}, `{"command":"touch four.txt"}`)
	if _, err := os.Stat(filepath.Join(ws, "four.txt")); err == nil || len(ask.asked) != 2 {
		t.Errorf("read-only let a write through (%v), or asked (%d)", err, len(ask.asked))
	}
}

func TestApprovalValuesAreChecked(t *testing.T) {
	e, _, _, id, _ := approvalEngine(t, sandbox.Off("test"), Allow)
	var ip *InvalidParamsError
	if err := e.SetApprovals("always", ""); !errors.As(err, &ip) || ip.Field != "approvalPolicy" {
		t.Errorf("SetApprovals(always) = %v", err)
	}
	if err := e.CheckChat(ChatRequest{SessionID: id, Message: "go", Sandbox: "danger"}); !errors.As(err, &ip) || ip.Field != "sandbox" {
		t.Errorf("CheckChat(sandbox danger) = %v", err)
	}
	if a := e.approvalsFor(ChatRequest{}); a.policy != sandbox.OnRequest || a.mode != sandbox.WorkspaceWrite {
		t.Errorf("defaults %+v", a)
	}
	if err := e.SetApprovals("never", "full-access"); err != nil {
		t.Fatal(err)
	}
	if a := e.approvalsFor(ChatRequest{ApprovalPolicy: "untrusted"}); a.policy != sandbox.Untrusted || a.mode != sandbox.FullAccess {
		t.Errorf("a chat's policy over the engine's: %+v", a)
	}
}
