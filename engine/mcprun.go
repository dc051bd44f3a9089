package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"

	"github.com/deckhand-dev/deckhand/tools/mcp"
)

// The MCP tools in the loop: each server's tools as mcp__<server>__<tool>,
// and the resource tools when a server serves resources.

// The resource tools' names.
const (
	toolListResources         = "list_mcp_resources"
	toolListResourceTemplates = "list_mcp_resource_templates"
	toolReadResource          = "read_mcp_resource"
)

// mcpMaxOutput is how much of an MCP result the model gets: the start and
// the end, with a note in the middle.
const mcpMaxOutput = 64 << 10

// MCPCall is the preview of an MCP tool call: {server, tool, arguments}.
type MCPCall struct {
	Server, Tool string
	Arguments    json.RawMessage
}

// isMCPTool says whether name is one of the MCP tools.
func isMCPTool(name string) bool {
	switch name {
	case toolListResources, toolListResourceTemplates, toolReadResource:
		return true
	}
	return strings.HasPrefix(name, mcp.Prefix)
}

// mcpToolDefs are the function tools of the session's ready MCP servers, by
// server then tool, then the resource tools.
func (t *turn) mcpToolDefs() []responses.ToolUnionParam {
	ms := t.mcpOf()
	if ms == nil {
		return nil
	}
	var defs []responses.ToolUnionParam
	for _, tool := range ms.set.Tools() {
		desc := tool.Description
		if desc == "" {
			desc = fmt.Sprintf("The tool %s of the MCP server %s.", tool.Tool, tool.Server)
		}
		defs = append(defs, functionTool(tool.Name, desc, tool.Schema))
	}
	if ms.set.HasResources() {
		server := map[string]any{"type": "string", "description": "The MCP server's name; omit to list every server's."}
		defs = append(defs,
			functionTool(toolListResources, "List the resources that the MCP servers offer (files, documents, records), with their URIs.",
				map[string]any{"type": "object", "properties": map[string]any{"server": server}}),
			functionTool(toolListResourceTemplates, "List the resource templates (parameterised URIs) that the MCP servers offer.",
				map[string]any{"type": "object", "properties": map[string]any{"server": server}}),
			functionTool(toolReadResource, "Read one resource of an MCP server by its URI.",
				map[string]any{"type": "object", "properties": map[string]any{
					"server": map[string]any{"type": "string", "description": "The MCP server's name."},
					"uri":    map[string]any{"type": "string", "description": "The resource's URI, as listed."},
				}, "required": []string{"server", "uri"}}),
		)
	}
	return defs
}

func functionTool(name, desc string, schema map[string]any) responses.ToolUnionParam {
	return responses.ToolUnionParam{OfFunction: &responses.FunctionToolParam{
		Name: name, Description: param.NewOpt(desc), Parameters: schema, Strict: param.NewOpt(false),
	}}
}

// runMCP runs one MCP call; it never fails the turn.
func (t *turn) runMCP(ctx context.Context, c Item) callOutcome {
	ms := t.mcpOf()
	if ms == nil {
		return callOutcome{output: fmt.Sprintf("there is no tool named %q: no MCP server runs in this session", c.Name)}
	}
	switch c.Name {
	case toolListResources, toolListResourceTemplates:
		var p struct {
			Server string `json:"server"`
		}
		if json.Unmarshal([]byte(orEmpty(c.Arguments)), &p) != nil {
			return callOutcome{output: "invalid arguments: they must be one JSON object, such as {\"server\": \"docs\"}"}
		}
		list, err := ms.set.ListResources(ctx, p.Server, c.Name == toolListResourceTemplates)
		if err != nil {
			return mcpFailure(ctx, err)
		}
		b, _ := json.MarshalIndent(list, "", "  ")
		return callOutcome{output: string(b), ok: true}
	case toolReadResource:
		var p struct {
			Server string `json:"server"`
			URI    string `json:"uri"`
		}
		if json.Unmarshal([]byte(orEmpty(c.Arguments)), &p) != nil || p.Server == "" || p.URI == "" {
			return callOutcome{output: "invalid arguments: server and uri are required"}
		}
		res, err := ms.set.ReadResource(ctx, p.Server, p.URI)
		if err != nil {
			return mcpFailure(ctx, err)
		}
		return mcpOutcome(res)
	}
	tool, ok := ms.set.Lookup(c.Name)
	if !ok {
		return callOutcome{output: fmt.Sprintf("there is no tool named %q (its MCP server may have stopped or changed its tools)", c.Name)}
	}
	if !ms.trusted[tool.Server] {
		if msg, ok := t.permitMCP(ctx, c, tool); !ok {
			return callOutcome{output: msg}
		}
	}
	res, err := ms.set.Call(ctx, c.Name, json.RawMessage(c.Arguments))
	if err != nil {
		return mcpFailure(ctx, err)
	}
	return mcpOutcome(res)
}

func orEmpty(args string) string {
	if strings.TrimSpace(args) == "" {
		return "{}"
	}
	return args
}

// mcpFailure is what the model is told of a call that did not reach its tool.
func mcpFailure(ctx context.Context, err error) callOutcome {
	if ctx.Err() != nil {
		return callOutcome{output: "cancelled by the user"}
	}
	return callOutcome{output: fmt.Sprintf("the MCP call failed: %v", err)}
}

// mcpOutcome is an MCP result as the model gets it: its text, and its
// images (PNG, JPEG, GIF or WebP, up to mcpMaxImages bytes in all) as
// images; the others are named in the text.
func mcpOutcome(res mcp.Result) callOutcome {
	out := res.Text
	var images []string
	budget := mcpMaxImages
	for i, img := range res.Images {
		switch img.MIMEType {
		case "image/png", "image/jpeg", "image/gif", "image/webp":
			if len(img.DataURL) <= budget {
				budget -= len(img.DataURL)
				images = append(images, img.DataURL)
				continue
			}
		}
		out += fmt.Sprintf("\n(image %d, %s, is not shown to the model: too large or of a type it does not take)", i+1, img.MIMEType)
	}
	if out == "" {
		out = "(no output)"
	}
	if len(out) > mcpMaxOutput {
		half := mcpMaxOutput / 2
		out = cut(out, half) + fmt.Sprintf("\n… (%d bytes cut) …\n", len(out)-mcpMaxOutput) + tailOf(out, half)
	}
	return callOutcome{output: out, ok: !res.IsError, images: images}
}

// mcpMaxImages bounds the images one MCP result gives the model (as data
// URLs): they stay in the session's history and file.
const mcpMaxImages = 4 << 20

// outputWithImages is a function_call_output whose output is a list: the
// text, then each image.
func outputWithImages(it Item) responses.ResponseInputItemUnionParam {
	parts := []any{map[string]any{"type": "input_text", "text": it.Text}}
	for _, url := range it.Images {
		parts = append(parts, map[string]any{"type": "input_image", "image_url": url, "detail": "auto"})
	}
	return param.Override[responses.ResponseInputItemUnionParam](map[string]any{
		"type": "function_call_output", "call_id": it.CallID, "output": parts,
	})
}

// tailOf is the last n bytes of s, from a rune start.
func tailOf(s string, n int) string {
	i := len(s) - n
	for i < len(s) && i > 0 && s[i]&0xC0 == 0x80 {
		i++
	}
	return s[i:]
}

// permitMCP asks the user whether an MCP call may run (the server is not
// trusted), with its server, tool and arguments.
func (t *turn) permitMCP(ctx context.Context, c Item, tool mcp.Tool) (string, bool) {
	if run, canAsk := t.unasked(c.Name); run {
		return "", true
	} else if !canAsk {
		return fmt.Sprintf("%s is not allowed: this editor cannot ask the user for permission, the MCP server %s is not trusted in config.json, and deckhand was not started with --allow-all", c.Name, tool.Server), false
	}
	args := jsonArgs(c.Arguments)
	return t.ask(ctx, c.Name, PermissionRequest{
		SessionID: t.s.ID, TurnID: t.id, CallID: c.CallID, Tool: c.Name, Arguments: args,
		Description: fmt.Sprintf("Run %s of the MCP server %s", tool.Tool, tool.Server),
		Preview:     &Preview{MCP: &MCPCall{Server: tool.Server, Tool: tool.Tool, Arguments: args}},
	})
}
