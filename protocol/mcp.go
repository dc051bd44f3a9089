package protocol

// Version 1.2: MCP servers.

// Methods and notifications of MCP.
const (
	MethodMCPList   = "mcp/list"
	NotifyMCPStatus = "mcp/status"
)

// CodeMCPFailed (1.2): an MCP server or tool failed. Data is MCPFailedData.
const CodeMCPFailed = -32014

// MCPFailedData is the data of CodeMCPFailed.
type MCPFailedData struct {
	Server string `json:"server"`
	Tool   string `json:"tool,omitempty"`
}

// MCPServerConfig is one MCP server as config.json, .mcp.json and
// initialize's mcpServers give it: a command over stdio, or a URL.
type MCPServerConfig struct {
	Type           string            `json:"type,omitempty"` // "stdio", "http", "sse"
	Command        string            `json:"command,omitempty"`
	Args           []string          `json:"args,omitempty"`
	Env            map[string]string `json:"env,omitempty"`
	Cwd            string            `json:"cwd,omitempty"`
	URL            string            `json:"url,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	BearerTokenEnv string            `json:"bearerTokenEnv,omitempty"`
	StartTimeoutMs int               `json:"startTimeoutMs,omitempty"`
	ToolTimeoutMs  int               `json:"toolTimeoutMs,omitempty"`
}

// MCPServerPreview is what a mcp_config permission request shows of a
// server: what would run, never its env or headers.
type MCPServerPreview struct {
	Name    string   `json:"name"`
	Command string   `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
	URL     string   `json:"url,omitempty"`
}

// MCPListParams are the params of mcp/list: a session's servers, or with
// none those of the most recent session or the attached workspace.
type MCPListParams struct {
	SessionID string `json:"sessionId,omitempty"`
}

// MCPServerStatus is one server in mcp/list and mcp/status. Status is
// "starting", "ready", "failed", or "stopped" (an extension: configured,
// not started by the session yet).
type MCPServerStatus struct {
	SessionID string   `json:"sessionId,omitempty"` // mcp/status only
	Name      string   `json:"name"`
	Source    string   `json:"source"`
	Transport string   `json:"transport"`
	Status    string   `json:"status"`
	Error     string   `json:"error,omitempty"`
	Tools     []string `json:"tools"`
}

// MCPListResult is the result of mcp/list.
type MCPListResult struct {
	Servers []MCPServerStatus `json:"servers"`
}
