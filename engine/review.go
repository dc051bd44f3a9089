package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"go.uber.org/zap"

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
	// Changes holds each file a write, edit or apply_patch changes, whole
	// before and after, read as the call will read it (through the
	// client's buffers when it serves the session's files), for a face
	// that shows a change as a diff of its own.
	Changes []FileChange
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
		p := &Preview{Path: prop.Path, Diff: diff}
		if !prop.TooLarge {
			p.Changes = []FileChange{{Path: filepath.Join(env.Root, filepath.FromSlash(prop.Path)),
				OldText: prop.Before, NewText: prop.After, Created: !prop.Existed}}
		}
		return p, "", true
	case "apply_patch":
		files, changes, msg, ok := patchPreview(env, tools.PatchInput(json.RawMessage(c.Arguments)))
		if !ok {
			return nil, msg, false
		}
		return &Preview{Files: files, Changes: changes}, "", true
	case "exec_command":
		// Sandboxed and Justification come from the command's plan
		// (toolrun.go), as for bash.
		command, cwd, _ := execPreview(env, c.Arguments)
		return &Preview{Command: command, Cwd: cwd}, "", true
	}
	return nil, "", true
}

// unasked says whether a call may run without asking: the session allowed
// key for good (key "" is never remembered), or deckhand runs with
// --allow-all and the editor cannot ask. canAsk says whether the user can
// be asked when it may not.
func (t *turn) unasked(key string) (run, canAsk bool) {
	switch {
	case key != "" && t.s.allowedAlways(key):
		return true, false
	case t.s.permissions:
		return false, true
	default:
		return t.e.cfg.AllowAll, false
	}
}

// ask puts req to the user through the client's Review, the one way the
// engine asks, and remembers under key an allow for the session. The
// message is what the model is told when the call may not run.
func (t *turn) ask(ctx context.Context, key string, req PermissionRequest) (string, bool) {
	v, err := t.client.Review(ctx, req)
	if err == nil {
		p := &CallPermission{Decision: v.Decision, By: PermitUser, Reason: v.Reason}
		if p.Decision != Allow && p.Decision != AllowAlways {
			p.Decision = Deny
		}
		t.decisions.note(req.CallID, p)
	}
	if err != nil {
		if ctx.Err() != nil {
			return "cancelled by the user", false
		}
		t.e.log.Warn("permission request failed", zap.String("tool", req.Tool), zap.Error(err))
		return "denied: the editor did not answer the permission request", false
	}
	switch v.Decision {
	case AllowAlways:
		if key != "" {
			t.s.allowAlways(key)
		}
		return "", true
	case Allow:
		return "", true
	}
	return denied(v), false
}

// denied is what the model is told of a denial.
func denied(v Verdict) string {
	if v.Reason != "" {
		return "The user denied this: " + v.Reason
	}
	return "denied by the user"
}
