package mcp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Result is what a call gives the model: its text, the images it returned,
// and whether the server reported an error.
type Result struct {
	Text    string
	Images  []Image
	IsError bool
}

// Image is an image a tool returned, as a data URL.
type Image struct {
	MIMEType string
	DataURL  string
}

// Error is a call that failed on the way: the server is not ready, died, or
// did not answer in time. Server and Tool say which (Tool may be empty).
type Error struct {
	Server, Tool string
	Err          error
}

func (e *Error) Error() string {
	if e.Tool != "" {
		return fmt.Sprintf("MCP server %s, tool %s: %v", e.Server, e.Tool, e.Err)
	}
	return fmt.Sprintf("MCP server %s: %v", e.Server, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNotReady reports a server that is not (or no longer) running.
var ErrNotReady = errors.New("the server is not running")

// session finds a ready server by name.
func (s *Set) session(name string) (*server, *sdk.ClientSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, srv := range s.servers {
		if srv.cfg.Name != name {
			continue
		}
		if srv.state != StateReady || srv.session == nil {
			msg := srv.err
			if msg == "" {
				msg = srv.state
			}
			return nil, nil, fmt.Errorf("%w (%s)", ErrNotReady, msg)
		}
		return srv, srv.session, nil
	}
	return nil, nil, fmt.Errorf("there is no MCP server named %q", name)
}

// Call calls the tool the model knows as name with args (a JSON object).
// A tool's own error is a Result with IsError; a failure to reach it is an
// *Error.
func (s *Set) Call(ctx context.Context, name string, args json.RawMessage) (Result, error) {
	tool, ok := s.Lookup(name)
	if !ok {
		return Result{}, &Error{Server: strings.TrimPrefix(name, Prefix), Err: errors.New("no such tool (its server may have stopped or changed its tools)")}
	}
	srv, session, err := s.session(tool.Server)
	if err != nil {
		return Result{}, &Error{Server: tool.Server, Tool: tool.Tool, Err: err}
	}
	var arguments map[string]any
	if raw := strings.TrimSpace(string(args)); raw != "" && raw != "null" {
		if err := json.Unmarshal([]byte(raw), &arguments); err != nil {
			return Result{Text: "invalid arguments: they must be one JSON object", IsError: true}, nil
		}
	}
	if arguments == nil {
		arguments = map[string]any{}
	}
	timeout := srv.cfg.toolTimeout(s.opts.ToolTimeout)
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := session.CallTool(cctx, &sdk.CallToolParams{Name: tool.Tool, Arguments: arguments})
	if err != nil {
		if ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %v", timeout)
		}
		return Result{}, &Error{Server: tool.Server, Tool: tool.Tool, Err: err}
	}
	out := contentResult(res.Content)
	if out.Text == "" && res.StructuredContent != nil {
		if b, err := json.Marshal(res.StructuredContent); err == nil {
			out.Text = string(b)
		}
	}
	out.IsError = res.IsError
	return out, nil
}

// contentResult turns MCP content into text and images.
func contentResult(content []sdk.Content) Result {
	var out Result
	var parts []string
	for _, c := range content {
		switch c := c.(type) {
		case *sdk.TextContent:
			parts = append(parts, c.Text)
		case *sdk.ImageContent:
			out.Images = append(out.Images, Image{MIMEType: c.MIMEType, DataURL: "data:" + c.MIMEType + ";base64," + base64.StdEncoding.EncodeToString(c.Data)})
			parts = append(parts, fmt.Sprintf("[image %d: %s, %d bytes]", len(out.Images), c.MIMEType, len(c.Data)))
		case *sdk.AudioContent:
			parts = append(parts, fmt.Sprintf("[audio: %s, %d bytes, not shown]", c.MIMEType, len(c.Data)))
		case *sdk.ResourceLink:
			parts = append(parts, fmt.Sprintf("[resource link: %s %s]", c.URI, c.Name))
		case *sdk.EmbeddedResource:
			parts = append(parts, resourceText(c.Resource))
		default:
			if b, err := json.Marshal(c); err == nil {
				parts = append(parts, string(b))
			}
		}
	}
	out.Text = strings.Join(parts, "\n")
	return out
}

func resourceText(r *sdk.ResourceContents) string {
	switch {
	case r == nil:
		return ""
	case r.Text != "":
		return fmt.Sprintf("[resource %s]\n%s", r.URI, r.Text)
	default:
		return fmt.Sprintf("[resource %s: %s, %d bytes of binary data, not shown]", r.URI, r.MIMEType, len(r.Blob))
	}
}

// HasResources says whether a ready server serves resources.
func (s *Set) HasResources() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, srv := range s.servers {
		if srv.state == StateReady && srv.session != nil {
			if caps := srv.session.InitializeResult().Capabilities; caps != nil && caps.Resources != nil {
				return true
			}
		}
	}
	return false
}

// resourceSessions are the ready servers with resources, or the one named.
func (s *Set) resourceSessions(name string) (map[string]*sdk.ClientSession, error) {
	if name != "" {
		_, session, err := s.session(name)
		if err != nil {
			return nil, &Error{Server: name, Err: err}
		}
		return map[string]*sdk.ClientSession{name: session}, nil
	}
	out := map[string]*sdk.ClientSession{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, srv := range s.servers {
		if srv.state == StateReady && srv.session != nil {
			if caps := srv.session.InitializeResult().Capabilities; caps != nil && caps.Resources != nil {
				out[srv.cfg.Name] = srv.session
			}
		}
	}
	return out, nil
}

// ResourceEntry is one resource or template, with its server.
type ResourceEntry struct {
	Server      string `json:"server"`
	URI         string `json:"uri,omitempty"`
	URITemplate string `json:"uriTemplate,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	MIMEType    string `json:"mimeType,omitempty"`
}

// ListResources lists the resources of one server, or of every ready one
// when server is "". templates lists resource templates instead.
func (s *Set) ListResources(ctx context.Context, server string, templates bool) ([]ResourceEntry, error) {
	sessions, err := s.resourceSessions(server)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(sessions))
	for n := range sessions {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []ResourceEntry{}
	for _, n := range names {
		cctx, cancel := context.WithTimeout(ctx, s.opts.ToolTimeout)
		if templates {
			for t, err := range sessions[n].ResourceTemplates(cctx, nil) {
				if err != nil {
					cancel()
					return nil, &Error{Server: n, Err: err}
				}
				out = append(out, ResourceEntry{Server: n, URITemplate: t.URITemplate, Name: t.Name, Description: t.Description, MIMEType: t.MIMEType})
			}
		} else {
			for r, err := range sessions[n].Resources(cctx, nil) {
				if err != nil {
					cancel()
					return nil, &Error{Server: n, Err: err}
				}
				out = append(out, ResourceEntry{Server: n, URI: r.URI, Name: r.Name, Description: r.Description, MIMEType: r.MIMEType})
			}
		}
		cancel()
	}
	return out, nil
}

// ReadResource reads one resource of a server.
func (s *Set) ReadResource(ctx context.Context, server, uri string) (Result, error) {
	_, session, err := s.session(server)
	if err != nil {
		return Result{}, &Error{Server: server, Err: err}
	}
	cctx, cancel := context.WithTimeout(ctx, s.opts.ToolTimeout)
	defer cancel()
	res, err := session.ReadResource(cctx, &sdk.ReadResourceParams{URI: uri})
	if err != nil {
		return Result{}, &Error{Server: server, Err: err}
	}
	var out Result
	var parts []string
	for _, c := range res.Contents {
		if c.Text == "" && strings.HasPrefix(c.MIMEType, "image/") && len(c.Blob) > 0 {
			out.Images = append(out.Images, Image{MIMEType: c.MIMEType, DataURL: "data:" + c.MIMEType + ";base64," + base64.StdEncoding.EncodeToString(c.Blob)})
			parts = append(parts, fmt.Sprintf("[image %d from %s: %s, %d bytes]", len(out.Images), c.URI, c.MIMEType, len(c.Blob)))
			continue
		}
		parts = append(parts, resourceText(c))
	}
	out.Text = strings.Join(parts, "\n")
	return out, nil
}

func roundTrip(v any) (map[string]any, bool) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}
