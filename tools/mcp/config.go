package mcp

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Transports a Server may use.
const (
	TransportStdio = "stdio"
	TransportHTTP  = "http"
	TransportSSE   = "sse"
)

// Server is one configured MCP server: a command run over stdio, or an HTTP
// endpoint (streamable HTTP, or the older SSE transport).
type Server struct {
	Name   string `json:"-"`
	Source string `json:"-"` // where it was configured: "config", "workspace", "client"

	Type string `json:"type,omitempty"` // "stdio", "http", "sse"; "" decides by Command or URL

	Command string            `json:"command,omitempty"`
	Args    []string          `json:"args,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	Cwd     string            `json:"cwd,omitempty"`

	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// BearerTokenEnv names an environment variable whose value is sent as
	// "Authorization: Bearer <value>". The value is read when the server
	// starts and never stored or logged.
	BearerTokenEnv string `json:"bearerTokenEnv,omitempty"`

	// Trusted servers' tools run without asking (honoured from the user's
	// own config only: the engine decides).
	Trusted bool `json:"trusted,omitempty"`
	// StartTimeoutMs bounds the start (0: the Set's default).
	StartTimeoutMs int `json:"startTimeoutMs,omitempty"`
	// ToolTimeoutMs bounds one call (0: the Set's default).
	ToolTimeoutMs int `json:"toolTimeoutMs,omitempty"`

	// Blocked, when set, is why the server may not start: the Set reports
	// it failed with this error and never runs it.
	Blocked string `json:"-"`
}

// Transport is the transport the server uses.
func (s Server) Transport() string {
	switch {
	case s.Type != "":
		return s.Type
	case s.URL != "":
		return TransportHTTP
	default:
		return TransportStdio
	}
}

// Check says what is wrong with a server's configuration, nil when nothing.
func (s Server) Check() error {
	switch s.Transport() {
	case TransportStdio:
		if strings.TrimSpace(s.Command) == "" {
			return fmt.Errorf("server %q: a stdio server needs a command", s.Name)
		}
		if s.URL != "" {
			return fmt.Errorf("server %q: give a command or a url, not both", s.Name)
		}
	case TransportHTTP, TransportSSE:
		if !strings.HasPrefix(s.URL, "http://") && !strings.HasPrefix(s.URL, "https://") {
			return fmt.Errorf("server %q: url must be an http:// or https:// URL", s.Name)
		}
		if s.Command != "" {
			return fmt.Errorf("server %q: give a command or a url, not both", s.Name)
		}
	default:
		return fmt.Errorf("server %q: type must be stdio, http or sse, not %q", s.Name, s.Type)
	}
	if strings.TrimSpace(s.Name) == "" {
		return fmt.Errorf("a server needs a name")
	}
	return nil
}

func (s Server) startTimeout(def time.Duration) time.Duration {
	if s.StartTimeoutMs > 0 {
		return time.Duration(s.StartTimeoutMs) * time.Millisecond
	}
	return def
}

func (s Server) toolTimeout(def time.Duration) time.Duration {
	if s.ToolTimeoutMs > 0 {
		return time.Duration(s.ToolTimeoutMs) * time.Millisecond
	}
	return def
}

// File is the shape of config.json and .mcp.json: {"mcpServers": {name: server}}.
// Other members are ignored.
type File struct {
	MCPServers map[string]Server `json:"mcpServers"`
}

// Parse reads the servers of a config file, sorted by name, each marked with
// source. A file without mcpServers has none; a server that is not
// well-formed is an error naming it.
func Parse(data []byte, source string) ([]Server, error) {
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not a JSON object with mcpServers: %w", err)
	}
	return Named(f.MCPServers, source)
}

// Named turns a name->server map into a sorted list, each server checked and
// marked with its name and source.
func Named(m map[string]Server, source string) ([]Server, error) {
	out := make([]Server, 0, len(m))
	for name, s := range m {
		s.Name, s.Source = name, source
		if err := s.Check(); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Merge merges sources by name: a later source's server replaces an earlier
// one of the same name. The result is sorted by name.
func Merge(sources ...[]Server) []Server {
	byName := map[string]Server{}
	for _, src := range sources {
		for _, s := range src {
			byName[s.Name] = s
		}
	}
	out := make([]Server, 0, len(byName))
	for _, s := range byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
