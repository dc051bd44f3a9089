package rpc

import (
	"context"
	"sort"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/protocol"
)

// MCP servers (1.2): initialize's mcpServers, mcp/list, mcp/status.

func (s *Server) registerMCP() {
	eng := s.cfg.Engine
	request(s, protocol.MethodMCPList, false, func(ctx context.Context, p protocol.MCPListParams) (any, error) {
		list, err := eng.MCPList(p.SessionID)
		if err != nil {
			return nil, err
		}
		res := protocol.MCPListResult{Servers: make([]protocol.MCPServerStatus, 0, len(list))}
		for _, st := range list {
			res.Servers = append(res.Servers, mcpStatus("", st))
		}
		return res, nil
	})
}

// mcpServers is the engine form of initialize's mcpServers, by name.
func mcpServers(in map[string]protocol.MCPServerConfig) []engine.MCPServer {
	out := make([]engine.MCPServer, 0, len(in))
	for name, c := range in {
		out = append(out, engine.MCPServer{Name: name, Type: c.Type, Command: c.Command, Args: c.Args, Env: c.Env, Cwd: c.Cwd,
			URL: c.URL, Headers: c.Headers, BearerTokenEnv: c.BearerTokenEnv, StartTimeoutMs: c.StartTimeoutMs, ToolTimeoutMs: c.ToolTimeoutMs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func mcpStatus(sessionID string, st engine.MCPStatus) protocol.MCPServerStatus {
	tools := st.Tools
	if tools == nil {
		tools = []string{}
	}
	return protocol.MCPServerStatus{SessionID: sessionID, Name: st.Name, Source: st.Source, Transport: st.Transport,
		Status: st.State, Error: st.Error, Tools: tools}
}

// MCPStatus tells the editor that a server's status changed.
func (c *client) MCPStatus(sessionID string, st engine.MCPStatus) {
	c.conn.Notify(protocol.NotifyMCPStatus, mcpStatus(sessionID, st))
}

// mcpPreview is the wire form of an MCP preview's parts.
func mcpPreview(p *engine.Preview, out *protocol.Preview) {
	if p.MCP != nil {
		out.Server, out.Tool, out.Arguments = p.MCP.Server, p.MCP.Tool, p.MCP.Arguments
	}
	for _, srv := range p.MCPServers {
		out.Servers = append(out.Servers, protocol.MCPServerPreview{Name: srv.Name, Command: srv.Command, Args: srv.Args, URL: srv.URL})
	}
}
