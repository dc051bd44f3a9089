package acp

import (
	sdk "github.com/coder/acp-go-sdk"

	"github.com/deckhand-dev/deckhand/engine"
)

// mcpServers is the engine form of session/new's mcpServers: stdio, http
// and sse as ACP defines them (an "acp" server, carried over the ACP
// connection itself, is not served and is left out). A non-nil empty list
// means the client gave none.
func mcpServers(in []sdk.McpServer) []engine.MCPServer {
	out := []engine.MCPServer{}
	for _, s := range in {
		switch {
		case s.Stdio != nil:
			env := map[string]string{}
			for _, v := range s.Stdio.Env {
				env[v.Name] = v.Value
			}
			out = append(out, engine.MCPServer{Name: s.Stdio.Name, Command: s.Stdio.Command, Args: s.Stdio.Args, Env: env})
		case s.Http != nil:
			out = append(out, engine.MCPServer{Name: s.Http.Name, Type: "http", URL: s.Http.Url, Headers: headers(s.Http.Headers)})
		case s.Sse != nil:
			out = append(out, engine.MCPServer{Name: s.Sse.Name, Type: "sse", URL: s.Sse.Url, Headers: headers(s.Sse.Headers)})
		}
	}
	return out
}

func headers(in []sdk.HttpHeader) map[string]string {
	out := map[string]string{}
	for _, h := range in {
		out[h.Name] = h.Value
	}
	return out
}

// mcpCapabilities says which MCP transports session/new may name.
func mcpCapabilities() sdk.McpCapabilities { return sdk.McpCapabilities{Http: true, Sse: true} }
