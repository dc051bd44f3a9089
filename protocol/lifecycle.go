package protocol

// ClientInfo names the editor.
type ClientInfo struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// ClientCapabilities are what the editor can do for the server.
type ClientCapabilities struct {
	// Permissions: the editor answers permission/request.
	Permissions bool `json:"permissions,omitempty"`
	// Diagnostics (1.2): the editor answers diagnostics/request.
	Diagnostics bool `json:"diagnostics,omitempty"`
}

// InitializeParams are the params of initialize.
type InitializeParams struct {
	ClientInfo *ClientInfo `json:"clientInfo,omitempty"`
	// WorkspaceRoot is absolute; the default is the server's working directory.
	WorkspaceRoot string              `json:"workspaceRoot,omitempty"`
	Capabilities  *ClientCapabilities `json:"capabilities,omitempty"`
	// Approvals (1.2) are the defaults of the chats that name none.
	Approvals
	// MCPServers (1.2) are MCP servers the editor adds, by name.
	MCPServers map[string]MCPServerConfig `json:"mcpServers,omitempty"`
}

// ServerInfo names the server.
type ServerInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// InitializeResult is the result of initialize.
type InitializeResult struct {
	ServerInfo      ServerInfo `json:"serverInfo"`
	ProtocolVersion int        `json:"protocolVersion"`
	Auth            AuthStatus `json:"auth"`
	// WorkspaceRoot is the root the tools are confined to (an extension).
	WorkspaceRoot string `json:"workspaceRoot,omitempty"`
	// Capabilities says which 1.1 additions the server has.
	Capabilities *ServerCapabilities `json:"capabilities,omitempty"`
	// Instructions (1.1) lists the project instruction files found.
	Instructions []string `json:"instructions,omitempty"`
}

// ServerCapabilities are the 1.1 additions a server has.
type ServerCapabilities struct {
	Sessions    bool `json:"sessions,omitempty"`
	Attachments bool `json:"attachments,omitempty"`
	Preview     bool `json:"preview,omitempty"`
	Undo        bool `json:"undo,omitempty"`
	Compaction  bool `json:"compaction,omitempty"`
	// NativeTools (1.2): models get the tools their catalog entry names.
	NativeTools bool `json:"nativeTools,omitempty"`
	// Images (1.2): chat takes image attachments.
	Images bool `json:"images,omitempty"`
	// Limits (1.2): account/limits and limits are served.
	Limits bool `json:"limits,omitempty"`
	// Sandbox (1.2) is the OS sandbox commands run in.
	Sandbox *SandboxCapability `json:"sandbox,omitempty"`
	// MCP (1.2): MCP servers' tools join the loop; mcp/list, mcp/status.
	MCP bool `json:"mcp,omitempty"`
	// Diagnostics (1.2): a client with capabilities.diagnostics is asked
	// diagnostics/request.
	Diagnostics bool `json:"diagnostics,omitempty"`
}

// CancelRequestParams are the params of $/cancelRequest.
type CancelRequestParams struct {
	ID any `json:"id"`
}
