package acp

import (
	"cmp"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	sdk "github.com/coder/acp-go-sdk"
)

// toolView is how a tool call shows in the client.
type toolView struct {
	title     string
	kind      sdk.ToolKind
	locations []sdk.ToolCallLocation
	mutating  bool
}

// viewOf describes a call of one of deckhand's tools.
func viewOf(root, name string, args json.RawMessage) toolView {
	var p struct {
		Path    string `json:"path"`
		Pattern string `json:"pattern"`
		Command string `json:"command"`
		Offset  int    `json:"offset"`
	}
	_ = json.Unmarshal(args, &p)
	v := toolView{title: name, kind: sdk.ToolKindOther}
	switch name {
	case "read":
		v.kind, v.title = sdk.ToolKindRead, "Read "+orRoot(p.Path)
	case "list":
		v.kind, v.title = sdk.ToolKindSearch, "List "+orRoot(p.Path)
	case "glob":
		v.kind, v.title = sdk.ToolKindSearch, "Find files matching "+p.Pattern
	case "grep":
		v.kind, v.title = sdk.ToolKindSearch, fmt.Sprintf("Search for %q", p.Pattern)
	case "write":
		v.kind, v.title, v.mutating = sdk.ToolKindEdit, "Write "+p.Path, true
	case "edit":
		v.kind, v.title, v.mutating = sdk.ToolKindEdit, "Edit "+p.Path, true
	case "bash":
		v.kind, v.title, v.mutating = sdk.ToolKindExecute, "Run "+oneLine(p.Command), true
	case "exec_command":
		var x struct {
			Cmd string `json:"cmd"`
		}
		_ = json.Unmarshal(args, &x)
		v.kind, v.title, v.mutating = sdk.ToolKindExecute, "Run "+oneLine(x.Cmd), true
	case "write_stdin":
		v.kind, v.title = sdk.ToolKindExecute, "Write to a running command"
	case "apply_patch":
		v.kind, v.title, v.mutating = sdk.ToolKindEdit, "Apply a patch", true
	case "view_image":
		v.kind, v.title = sdk.ToolKindRead, "View "+p.Path
	case "web_search": // the service's search: what it looked for, or opened
		var w struct{ Query, URL string }
		_ = json.Unmarshal(args, &w)
		v.kind, v.title = sdk.ToolKindFetch, "Search the web"
		if q := cmp.Or(w.Query, w.URL); q != "" {
			v.title = fmt.Sprintf("Search the web: %s", oneLine(q))
		}
	}
	if p.Path != "" {
		path := p.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(root, path)
		}
		loc := sdk.ToolCallLocation{Path: filepath.Clean(path)}
		if p.Offset > 0 {
			loc.Line = sdk.Ptr(p.Offset)
		}
		v.locations = []sdk.ToolCallLocation{loc}
	}
	return v
}

func orRoot(path string) string {
	if strings.TrimSpace(path) == "" || path == "." {
		return "the workspace"
	}
	return path
}

// oneLine shows a command on one line of at most 80 characters.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return s
}
