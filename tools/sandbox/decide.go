package sandbox

import "fmt"

// Approval is when the user is asked before a command runs (PROTOCOL 1.2's
// `approvalPolicy`).
type Approval string

// Approval policies.
const (
	// Untrusted asks for every command but the known read-only ones.
	Untrusted Approval = "untrusted"
	// OnRequest runs sandboxed commands without asking and asks when the
	// model asks to leave the sandbox. The default.
	OnRequest Approval = "on-request"
	// Never asks nothing: escalations are refused to the model.
	Never Approval = "never"
)

// ParseApproval reads an approval policy; "" is OnRequest.
func ParseApproval(s string) (Approval, error) {
	switch a := Approval(s); a {
	case "":
		return OnRequest, nil
	case Untrusted, OnRequest, Never:
		return a, nil
	}
	return "", fmt.Errorf("approvalPolicy %q: must be untrusted, on-request or never", s)
}

// Request is what the decision about one command depends on.
type Request struct {
	Approval Approval
	Mode     Mode
	// Available says whether this machine has a sandbox.
	Available bool
	// Escalate says the model asked to run the command outside the
	// sandbox (sandbox_permissions: "require_escalated").
	Escalate bool
	// Command is the shell command, for the read-only list.
	Command string
}

// Action is what happens to a command.
type Action int

// Actions.
const (
	// Run runs it without asking.
	Run Action = iota
	// Ask asks the user first; it runs only when they allow it.
	Ask
	// Refuse tells the model it cannot run, without asking.
	Refuse
)

func (a Action) String() string {
	switch a {
	case Run:
		return "run"
	case Ask:
		return "ask"
	case Refuse:
		return "refuse"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Outcome is the decision about one command.
type Outcome struct {
	Action Action
	// Sandboxed says the command runs inside the sandbox (when it runs).
	Sandboxed bool
	// Reason is what the model is told of a refusal.
	Reason string
}

// Refusals the model reads.
const (
	refusedEscalation = "This command was not run: it asked to run outside the sandbox, and the approval policy is \"never\", so escalations are refused. Do the work inside the sandbox (write only in the workspace and temp folders, without the network), or tell the user what you need."
	refusedNoSandbox  = "This command was not run: there is no sandbox on this machine to run it in, and the approval policy is \"never\", so the user cannot be asked. Tell the user what you need."
)

// Decide is what happens to a command:
//
//   - full-access: it runs outside the sandbox; untrusted asks first for
//     any command not on the read-only list.
//   - no sandbox on the machine: it runs outside the sandbox after asking,
//     as in 1.0; never refuses it.
//   - an escalation: it runs outside the sandbox after asking; never
//     refuses it.
//   - otherwise it runs in the sandbox, without asking but under untrusted
//     for a command not on the read-only list.
func Decide(r Request) Outcome {
	safe := r.Approval != Untrusted || ReadOnlyCommand(r.Command)
	switch {
	case r.Mode == FullAccess:
		if !safe {
			return Outcome{Action: Ask}
		}
		return Outcome{Action: Run}
	case !r.Available:
		if r.Approval == Never {
			return Outcome{Action: Refuse, Reason: refusedNoSandbox}
		}
		return Outcome{Action: Ask}
	case r.Escalate:
		if r.Approval == Never {
			return Outcome{Action: Refuse, Reason: refusedEscalation}
		}
		return Outcome{Action: Ask}
	case !safe:
		return Outcome{Action: Ask, Sandboxed: true}
	}
	return Outcome{Action: Run, Sandboxed: true}
}
