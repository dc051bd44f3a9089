package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/deckhand-dev/deckhand/tools"
)

// runOnClient runs a bash call in the client's terminal when it serves
// terminals for the session (ACP's terminal/*). handled is false when
// deckhand's own tool must run. (The file tools, apply_patch and
// exec_command run as ever, over the client's buffers and terminals as
// their sources: clientsource.go.)
func (t *turn) runOnClient(ctx context.Context, c Item) (oc callOutcome, handled bool) {
	root := t.s.root
	switch c.Name {
	case "bash":
		tc, ok := t.client.(TerminalClient)
		if !ok || !tc.ServesTerminals(t.s.ID) {
			return callOutcome{}, false
		}
		var p struct {
			Command   string `json:"command"`
			TimeoutMs int    `json:"timeoutMs"`
		}
		if json.Unmarshal([]byte(c.Arguments), &p) != nil || strings.TrimSpace(p.Command) == "" {
			return callOutcome{output: "invalid arguments: command must be a non-empty string"}, true
		}
		// The bash tool's limits: 2 minutes unless the call says, at most 10.
		timeout := 2 * time.Minute
		if p.TimeoutMs > 0 {
			timeout = min(time.Duration(p.TimeoutMs)*time.Millisecond, 10*time.Minute)
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		out, status, err := tc.RunCommand(cctx, t.s.ID, c.CallID, p.Command, root)
		if err != nil {
			return callOutcome{output: fmt.Sprintf("the editor could not run the command: %v", err)}, true
		}
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		// As with the bash tool on disk, a command that ran to its end is
		// no tool error whatever its exit status: the model reads it.
		return callOutcome{output: out + "[" + status + "]", ok: strings.HasPrefix(status, "exit status ")}, true
	}
	return callOutcome{}, false
}

// previewFor is the preview of a permission request: the tools' own, which
// reads a file the client serves through the client (clientsource.go).
func (t *turn) previewFor(c Item, env *tools.Env) (*Preview, string, bool) {
	return t.preview(c, env)
}
