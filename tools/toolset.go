package tools

// Which tools a model gets. The Codex models were trained on their own set,
// named in their catalog entry; deckhand's seven go to every other model.

// ToolSet is what a catalog entry says of the tools its model knows.
type ToolSet struct {
	// ShellType "unified_exec" gives exec_command and write_stdin.
	ShellType string
	// ApplyPatchToolType "freeform" gives the apply_patch custom tool.
	ApplyPatchToolType string
	// Images: the entry's input_modalities include images, which gives
	// view_image.
	Images bool
}

// Native reports whether the entry names the Codex tools at all. An entry
// that names neither a shell type nor an apply_patch type keeps the
// classic seven.
func (s ToolSet) Native() bool {
	return s.ShellType != "" || s.ApplyPatchToolType != ""
}

// For returns the tools a model with this set gets, in the order the
// models' own client lists them: exec_command, write_stdin, apply_patch,
// view_image; All() when the set is not native. A shell type other than
// unified_exec (an older one deckhand does not serve) falls back to bash,
// and an apply_patch type other than freeform to write and edit, so that
// the model can always run commands and change files.
func (s ToolSet) For() []Tool {
	if !s.Native() {
		return All()
	}
	var out []Tool
	if s.ShellType == "unified_exec" {
		out = append(out, execCommandTool{}, writeStdinTool{})
	} else {
		out = append(out, bashTool{})
	}
	if s.ApplyPatchToolType == "freeform" {
		out = append(out, applyPatchTool{})
	} else {
		out = append(out, writeTool{}, editTool{})
	}
	if s.Images {
		out = append(out, viewImageTool{})
	}
	return out
}

// Every returns every tool deckhand has, classic and native, for looking
// a call up by name.
func Every() []Tool {
	return append(All(), execCommandTool{}, writeStdinTool{}, applyPatchTool{}, viewImageTool{})
}
