package tools

import (
	"slices"
	"testing"
)

func names(ts []Tool) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name())
	}
	return out
}

func TestToolSetFor(t *testing.T) {
	classic := []string{"read", "list", "glob", "grep", "write", "edit", "bash"}
	tests := []struct {
		name string
		set  ToolSet
		want []string
	}{
		{"no entry", ToolSet{}, classic},
		{"images alone keep the classic seven", ToolSet{Images: true}, classic},
		{"gpt-5.5", ToolSet{ShellType: "unified_exec", ApplyPatchToolType: "freeform", Images: true}, []string{"exec_command", "write_stdin", "apply_patch", "view_image"}},
		{"text only", ToolSet{ShellType: "unified_exec", ApplyPatchToolType: "freeform"}, []string{"exec_command", "write_stdin", "apply_patch"}},
		{"unknown shell", ToolSet{ShellType: "local", ApplyPatchToolType: "freeform"}, []string{"bash", "apply_patch"}},
		{"function apply_patch", ToolSet{ShellType: "unified_exec", ApplyPatchToolType: "function"}, []string{"exec_command", "write_stdin", "write", "edit"}},
	}
	for _, tt := range tests {
		if got := names(tt.set.For()); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	every := names(Every())
	for _, n := range []string{"bash", "exec_command", "write_stdin", "apply_patch", "view_image"} {
		if !slices.Contains(every, n) {
			t.Errorf("Every lacks %s", n)
		}
	}
}
