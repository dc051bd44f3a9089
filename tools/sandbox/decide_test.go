package sandbox

import "testing"

func TestDecide(t *testing.T) {
	const write, read = "touch made.txt", "git status"
	cases := []struct {
		approval  Approval
		mode      Mode
		available bool
		escalate  bool
		command   string
		want      Action
		sandboxed bool
	}{
		// on-request: the sandbox spares the prompt; an escalation asks.
		{OnRequest, WorkspaceWrite, true, false, write, Run, true},
		{OnRequest, ReadOnly, true, false, write, Run, true},
		{OnRequest, WorkspaceWrite, true, true, write, Ask, false},
		// untrusted: the read-only list runs sandboxed, the rest asks (and
		// still runs sandboxed); an escalation asks to leave it.
		{Untrusted, WorkspaceWrite, true, false, read, Run, true},
		{Untrusted, WorkspaceWrite, true, false, write, Ask, true},
		{Untrusted, WorkspaceWrite, true, true, read, Ask, false},
		// never: nothing asks; an escalation is refused.
		{Never, WorkspaceWrite, true, false, write, Run, true},
		{Never, WorkspaceWrite, true, true, write, Refuse, false},
		// No sandbox on the machine: every command asks, as in 1.0, and
		// never cannot ask.
		{OnRequest, WorkspaceWrite, false, false, write, Ask, false},
		{Untrusted, WorkspaceWrite, false, false, read, Ask, false},
		{Never, WorkspaceWrite, false, false, read, Refuse, false},
		// full-access: outside the sandbox, which need not exist.
		{OnRequest, FullAccess, false, false, write, Run, false},
		{OnRequest, FullAccess, true, true, write, Run, false},
		{Never, FullAccess, true, false, write, Run, false},
		{Untrusted, FullAccess, true, false, write, Ask, false},
		{Untrusted, FullAccess, true, false, read, Run, false},
	}
	for _, c := range cases {
		got := Decide(Request{Approval: c.approval, Mode: c.mode, Available: c.available, Escalate: c.escalate, Command: c.command})
		if got.Action != c.want || got.Sandboxed != c.sandboxed {
			t.Errorf("%s/%s available=%v escalate=%v %q: %v sandboxed=%v, want %v sandboxed=%v",
				c.approval, c.mode, c.available, c.escalate, c.command, got.Action, got.Sandboxed, c.want, c.sandboxed)
		}
		if (got.Action == Refuse) != (got.Reason != "") {
			t.Errorf("%s/%s escalate=%v: reason %q with action %v", c.approval, c.mode, c.escalate, got.Reason, got.Action)
		}
	}
}

func TestParsePolicies(t *testing.T) {
	if a, err := ParseApproval(""); err != nil || a != OnRequest {
		t.Errorf(`ParseApproval("") = %q, %v`, a, err)
	}
	if m, err := ParseMode(""); err != nil || m != WorkspaceWrite {
		t.Errorf(`ParseMode("") = %q, %v`, m, err)
	}
	for _, s := range []string{"untrusted", "on-request", "never"} {
		if a, err := ParseApproval(s); err != nil || string(a) != s {
			t.Errorf("ParseApproval(%q) = %q, %v", s, a, err)
		}
	}
	for _, s := range []string{"read-only", "workspace-write", "full-access"} {
		if m, err := ParseMode(s); err != nil || string(m) != s {
			t.Errorf("ParseMode(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := ParseApproval("always"); err == nil {
		t.Error("ParseApproval accepted always")
	}
	if _, err := ParseMode("danger-full-access"); err == nil {
		t.Error("ParseMode accepted danger-full-access")
	}
}
