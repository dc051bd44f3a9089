package engine

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/tools/sandbox"
)

// approvals are the approval policy and the sandbox mode a turn's commands
// run under (PROTOCOL 1.2 "Sandbox and approvals").
type approvals struct {
	policy sandbox.Approval
	mode   sandbox.Mode
}

// approvalState holds the approvals of turns whose chat names none: those
// of Config, then of the last initialize that named them.
type approvalState struct {
	mu  sync.Mutex
	cur approvals
}

// SandboxStatus says which OS sandbox the engine's commands run in.
type SandboxStatus struct {
	Kind string // "landlock", "seatbelt" or "none"
	// Reason says why there is none, or what the sandbox leaves open.
	Reason string
	// NetworkClosed says whether sandboxed commands are kept off TCP.
	NetworkClosed bool
}

// SandboxStatus reports the sandbox the engine's commands run in.
func (e *Engine) SandboxStatus() SandboxStatus {
	s := e.cfg.Sandbox
	kind := s.Kind
	if kind == "" {
		kind = sandbox.None
	}
	return SandboxStatus{Kind: string(kind), Reason: s.Reason, NetworkClosed: s.NetworkClosed}
}

// parseApprovals reads an approval policy and a sandbox mode; "" takes
// def's.
func parseApprovals(policy, mode string, def approvals) (approvals, error) {
	a := def
	if policy != "" {
		p, err := sandbox.ParseApproval(policy)
		if err != nil {
			return approvals{}, &InvalidParamsError{Field: "approvalPolicy", Problem: "must be untrusted, on-request or never"}
		}
		a.policy = p
	}
	if mode != "" {
		m, err := sandbox.ParseMode(mode)
		if err != nil {
			return approvals{}, &InvalidParamsError{Field: "sandbox", Problem: "must be read-only, workspace-write or full-access"}
		}
		a.mode = m
	}
	return a, nil
}

// defaultApprovals are Config's, or on-request in workspace-write.
func (c *Config) defaultApprovals() approvals {
	a, err := parseApprovals(c.ApprovalPolicy, c.SandboxMode, approvals{sandbox.OnRequest, sandbox.WorkspaceWrite})
	if err != nil {
		return approvals{sandbox.OnRequest, sandbox.WorkspaceWrite}
	}
	return a
}

// SetApprovals sets the approval policy and the sandbox mode of the turns
// whose chat names none; "" leaves one as it is. A value the protocol does
// not know is an *InvalidParamsError and changes nothing.
func (e *Engine) SetApprovals(policy, mode string) error {
	e.approvals.mu.Lock()
	defer e.approvals.mu.Unlock()
	if e.approvals.cur == (approvals{}) {
		e.approvals.cur = e.cfg.defaultApprovals()
	}
	a, err := parseApprovals(policy, mode, e.approvals.cur)
	if err != nil {
		return err
	}
	e.approvals.cur = a
	return nil
}

// approvalsFor is what a turn of req runs under.
func (e *Engine) approvalsFor(req ChatRequest) approvals {
	e.approvals.mu.Lock()
	cur := e.approvals.cur
	e.approvals.mu.Unlock()
	if cur == (approvals{}) {
		cur = e.cfg.defaultApprovals()
	}
	a, err := parseApprovals(req.ApprovalPolicy, req.Sandbox, cur)
	if err != nil { // CheckChat refused it already
		return cur
	}
	return a
}

// checkApprovals is CheckChat's look at a chat's approvals.
func checkApprovals(req ChatRequest) error {
	_, err := parseApprovals(req.ApprovalPolicy, req.Sandbox, approvals{})
	return err
}

// commandCall is what the approval decision reads of a call that runs a
// shell command: bash, and exec_command (its command is `cmd`).
type commandCall struct {
	Command            string `json:"command"`
	Cmd                string `json:"cmd"`
	SandboxPermissions string `json:"sandbox_permissions"`
	Justification      string `json:"justification"`
}

// commandTools are the tools whose calls run a shell command.
var commandTools = map[string]bool{"bash": true, "exec_command": true}

// commandPlan is the decision about one command call.
type commandPlan struct {
	sandbox.Outcome
	justification string
}

// alwaysKey is what "allow for the session" remembers of an asked call:
// running the tool's commands outside the sandbox is a separate answer
// from running them inside.
func (p *commandPlan) alwaysKey(tool string) string {
	if p == nil || p.Sandboxed {
		return tool
	}
	return tool + " (outside the sandbox)"
}

// planCommand decides about a command call (sandbox.Decide): nil for the
// calls of other tools. msg is set, and the call must not run, when its
// sandbox_permissions is not one the tool knows.
func (t *turn) planCommand(c Item) (plan *commandPlan, msg string) {
	if !commandTools[c.Name] {
		return nil, ""
	}
	var call commandCall
	_ = json.Unmarshal([]byte(c.Arguments), &call) // the tool reports bad arguments
	escalate := false
	switch call.SandboxPermissions {
	case "", "use_default":
	case "require_escalated":
		escalate = true
	default:
		return nil, fmt.Sprintf("invalid arguments: sandbox_permissions must be use_default or require_escalated, not %q", call.SandboxPermissions)
	}
	command := call.Command
	if c.Name == "exec_command" {
		command = call.Cmd
	}
	out := sandbox.Decide(sandbox.Request{
		Approval:  t.approvals.policy,
		Mode:      t.approvals.mode,
		Available: t.e.cfg.Sandbox.Available() && !t.commandOnClient(c),
		Escalate:  escalate,
		Command:   command,
	})
	return &commandPlan{Outcome: out, justification: call.Justification}, ""
}

// commandOnClient reports whether the editor runs the call's command in
// its own terminal (ACP), where deckhand's sandbox cannot reach.
func (t *turn) commandOnClient(c Item) bool {
	tc, ok := t.client.(TerminalClient)
	return ok && (c.Name == "bash" || c.Name == "exec_command") && tc.ServesTerminals(t.s.ID)
}

// ranSandboxed is what a call's result says of the sandbox: for a command,
// whether it ran inside (env has a sandbox); nil for other calls.
func ranSandboxed(c Item, env *tools.Env) *bool {
	if !commandTools[c.Name] {
		return nil
	}
	in := env.Sandbox != nil
	return &in
}

// escalationHint is added to a sandboxed command's failure that looks like
// a denial, when the user can be asked to run it outside.
const escalationHint = `(This command ran in a sandbox that lets it write only the workspace and temp folders, and reach no network. If that is why it failed, run it again with sandbox_permissions "require_escalated" and a justification: the user will be asked to let it run outside the sandbox.)`

// apply makes env run the call as the plan says: inside the sandbox, with
// the policy of the turn's mode, or as it is.
func (t *turn) apply(p *commandPlan, env *tools.Env) {
	if p == nil || !p.Sandboxed {
		return
	}
	sb, mode, home, root := t.e.cfg.Sandbox, t.approvals.mode, t.e.cfg.Home, env.Root
	hint := escalationHint
	if t.approvals.policy == sandbox.Never {
		hint = ""
	}
	env.Sandbox = &tools.CommandSandbox{
		Wrap: func(argv []string, writable ...string) ([]string, error) {
			pol, err := sandbox.NewPolicy(mode, root, home, writable...)
			if err != nil {
				return nil, err
			}
			return sb.Wrap(pol, argv)
		},
		Hint: hint,
	}
}
