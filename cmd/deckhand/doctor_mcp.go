package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/deckhand-dev/deckhand/engine"
)

// mcpChecks starts each MCP server configured for the current folder and
// reports it: ready with its tools, or why it failed.
func mcpChecks(ctx context.Context, eng *engine.Engine) []check {
	root, err := os.Getwd()
	if err != nil {
		return nil
	}
	var out []check
	for _, st := range eng.CheckMCP(ctx, root) {
		c := check{Name: "mcp " + st.Name, OK: st.State == "ready"}
		if c.OK {
			c.Detail = fmt.Sprintf("%s server from %s: %d tool(s)", st.Transport, st.Source, len(st.Tools))
			if len(st.Tools) > 0 {
				c.Detail += ": " + strings.Join(st.Tools, ", ")
			}
		} else {
			c.Detail = fmt.Sprintf("%s server from %s: %s", st.Transport, st.Source, st.Error)
			c.Advice = "check its command or URL, run it by hand, and look for its stderr in deckhand's log"
		}
		out = append(out, c)
	}
	return out
}
