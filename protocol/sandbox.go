package protocol

// Version 1.2 additions: sandbox and approvals.

// Approval policies (initialize's and chat's approvalPolicy).
const (
	ApprovalUntrusted = "untrusted"
	ApprovalOnRequest = "on-request"
	ApprovalNever     = "never"
)

// Sandbox modes (initialize's and chat's sandbox).
const (
	SandboxReadOnly       = "read-only"
	SandboxWorkspaceWrite = "workspace-write"
	SandboxFullAccess     = "full-access"
)

// Approvals are the two 1.2 params that initialize and chat take: when the
// user is asked before a command runs, and how much a command may do.
type Approvals struct {
	ApprovalPolicy string `json:"approvalPolicy,omitempty"`
	Sandbox        string `json:"sandbox,omitempty"`
}

// SandboxCapability is initialize's capabilities.sandbox: the OS sandbox
// commands run in ("landlock", "seatbelt" or "none"), why there is none,
// and whether it keeps commands off the network (an extension).
type SandboxCapability struct {
	Kind          string `json:"kind"`
	Reason        string `json:"reason,omitempty"`
	NetworkClosed bool   `json:"networkClosed"`
}
