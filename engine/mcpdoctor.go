package engine

import (
	"context"
	"io"

	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/tools/mcp"
)

// CheckMCP starts every MCP server configured for a workspace (config.json,
// and the workspace's .mcp.json when the user allowed it; a file not allowed
// yet is reported, not run), waits for each, stops them all and returns
// their status: `deckhand doctor`'s view.
func (e *Engine) CheckMCP(ctx context.Context, root string) []MCPStatus {
	work, _, hash := e.workspaceMCP(root)
	if len(work) > 0 && !e.mcpApproved(root, hash) {
		for i := range work {
			work[i].Blocked = "not started: the workspace's .mcp.json has not been allowed yet (an editor asks the first time a session needs it)"
		}
	}
	servers := mcp.Merge(e.homeMCP(), work)
	if len(servers) == 0 {
		return nil
	}
	set := mcp.NewSet(inRoot(servers, root), mcp.Options{ClientName: "deckhand", ClientVersion: e.cfg.Version, Contain: tools.Contain,
		Stderr: func(server string) io.Writer { return newLineLog(e.log, server) }})
	defer set.Close()
	set.Start(ctx)
	return set.Status()
}
