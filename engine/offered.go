package engine

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/openai/openai-go/v3/responses"

	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/tools/codemode"
)

// A model may call only the tools its request offered. deckhand holds every
// tool (its own seven, the Codex ones, every ready MCP server's) and a call
// used to answer to its name wherever it came from: a model given read,
// write and bash could run exec_command or view_image by naming them, and
// any model a tool of an MCP server its request did not list.
//
// One exception stays: on an entry that names the Codex tools, deckhand's
// own tools (read, write, edit, bash ...) still answer to their names. They
// pass the same approvals and sandbox as the Codex tools they stand beside
// (bash as exec_command, write and edit as apply_patch), so they grant
// nothing those do not; much of the test suite, the demo and the editors'
// suites script them on such models. The README says so.

// offeredTools is what the turn's last request declared. Stored whole on
// each request; read by calls that may run on other goroutines.
type offeredTools struct {
	ptr atomic.Pointer[offered]
}

type offered struct {
	names map[string]bool
	// own: deckhand's own tools answer to their names though not offered
	// (an entry with the Codex tools).
	own bool
}

// remember records the names of the tools a request declares: the tools of
// the entry's list and the MCP tools, and in code mode exec and wait, with
// the tools nested in exec (declared in its description, and run through
// the same approvals when called directly).
func (o *offeredTools) remember(list []tools.Tool, mcpDefs []responses.ToolUnionParam, native, code bool) {
	names := map[string]bool{}
	for _, tool := range list {
		names[tool.Name()] = true
	}
	for _, d := range mcpDefs {
		if f := d.OfFunction; f != nil {
			names[f.Name] = true
		}
	}
	if code {
		names[codemode.ExecName], names[codemode.WaitName] = true, true
	}
	o.ptr.Store(&offered{names: names, own: native})
}

// refuse returns the output for a call whose tool the request did not
// offer, and whether it must be refused. Before any request (a call of a
// restored history) nothing is refused here.
func (o *offeredTools) refuse(name string) (string, bool) {
	p := o.ptr.Load()
	if p == nil || p.names[name] || p.own && isOwnTool(name) {
		return "", false
	}
	names := make([]string, 0, len(p.names))
	for n := range p.names {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > maxListed {
		names = append(names[:maxListed], fmt.Sprintf("and %d more", len(names)-maxListed))
	}
	return fmt.Sprintf("unknown tool: there is no tool named %q among those offered to this model; the tools are %s",
		name, strings.Join(names, ", ")), true
}

// maxListed bounds the tools an "unknown tool" answer names (MCP servers
// may bring hundreds).
const maxListed = 60

// isOwnTool says whether name is one of deckhand's own tools (not a Codex
// one, not an MCP server's).
func isOwnTool(name string) bool {
	for _, t := range tools.All() {
		if t.Name() == name {
			return true
		}
	}
	return false
}
