package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/deckhand-dev/deckhand/tools"
)

// Preview is what the user is shown of a mutating call before allowing it:
// for write and edit the file and the unified diff of the change against
// the file on disk, for bash the whole command and where it runs.
type Preview struct {
	Path    string
	Diff    string
	Command string
	Cwd     string
	// Files lists every file of an apply_patch with its diff
	// (nativepreview.go).
	Files []PreviewFile
	// Sandboxed (commands only) says whether the command would run inside
	// the OS sandbox, and Justification is why the model asks to run it
	// outside (approval.go).
	Sandboxed     *bool
	Justification string
	// MCP is an MCP tool call's {server, tool, arguments}; MCPServers the
	// servers a workspace's .mcp.json would start (with Path).
	MCP        *MCPCall
	MCPServers []MCPServer
}

// Verdict is the user's answer to a permission request, with the reason of
// a denial when they gave one.
type Verdict struct {
	Decision Decision
	Reason   string
}

// Reviewer is a Client that can pass on the reason of a denial. The engine
// asks through Review when its client has it, through AskPermission
// otherwise.
type Reviewer interface {
	Review(ctx context.Context, req PermissionRequest) (Verdict, error)
}

// previewMaxDiff bounds the diff a permission request carries; a longer one
// is cut with a note saying so.
const previewMaxDiff = 1 << 20

// preview works out what the user should see of call c. For write and edit
// a call that would fail anyway is not worth asking about: ok is false and
// msg is the failure the model gets instead.
func (t *turn) preview(c Item, env *tools.Env) (p *Preview, msg string, ok bool) {
	switch c.Name {
	case "bash":
		var args struct {
			Command string `json:"command"`
		}
		_ = json.Unmarshal([]byte(c.Arguments), &args)
		return &Preview{Command: args.Command, Cwd: env.Root}, "", true
	case "write", "edit":
		prop, res, ok := tools.Propose(env, c.Name, json.RawMessage(c.Arguments))
		if !ok {
			return nil, res.Output, false
		}
		diff := tools.Diff(prop.Path, prop.Existed, prop.Before, prop.After)
		if prop.TooLarge {
			diff = fmt.Sprintf("--- a/%s\n+++ b/%s\n@@ the file is too large to show a diff: it is replaced by %d bytes @@\n", prop.Path, prop.Path, len(prop.After))
		}
		if len(diff) > previewMaxDiff {
			diff = fmt.Sprintf("%s\n… (the diff is cut here: %d more bytes are not shown)\n", cut(diff, previewMaxDiff), len(diff)-previewMaxDiff)
		}
		return &Preview{Path: prop.Path, Diff: diff}, "", true
	case "apply_patch":
		files, msg, ok := patchPreview(env, tools.PatchInput(json.RawMessage(c.Arguments)))
		if !ok {
			return nil, msg, false
		}
		return &Preview{Files: files}, "", true
	case "exec_command":
		// Sandboxed and Justification come from the command's plan
		// (toolrun.go), as for bash.
		command, cwd, _ := execPreview(env, c.Arguments)
		return &Preview{Command: command, Cwd: cwd}, "", true
	}
	return nil, "", true
}

// ask puts a permission request to the client, through Review when it can
// pass on a reason.
func (t *turn) ask(ctx context.Context, req PermissionRequest) (v Verdict, err error) {
	defer func() {
		if err == nil {
			t.verdicts.note(req.CallID, v) // for the session file (callrecord.go)
		}
	}()
	if r, ok := t.client.(Reviewer); ok {
		return r.Review(ctx, req)
	}
	d, err := t.client.AskPermission(ctx, req)
	return Verdict{Decision: d}, err
}

// denied is what the model is told of a denial.
func denied(v Verdict) string {
	if v.Reason != "" {
		return "The user denied this: " + v.Reason
	}
	return "denied by the user"
}
