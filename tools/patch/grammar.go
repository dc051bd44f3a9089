package patch

// Grammar is the patch format in Lark syntax, the definition of the
// apply_patch custom tool's "grammar" format: the model's sampling is held
// to it, so a call always parses into file operations. Written from the
// format's description; the parser below is more lenient than the grammar
// (surrounding whitespace, a hunk without "@@" first, a rename alone).
const Grammar = `start: begin_patch file_op+ end_patch
begin_patch: "*** Begin Patch" LF
end_patch: "*** End Patch" LF?

file_op: add_file | delete_file | update_file

add_file: "*** Add File: " path LF plus_line+
delete_file: "*** Delete File: " path LF
update_file: "*** Update File: " path LF (rename hunk* | hunk+)

rename: "*** Move to: " path LF
hunk: (anchor LF)? hunk_line+ end_of_file?
anchor: "@@" | "@@ " /(.+)/
hunk_line: (" " | "-" | "+") /(.*)/ LF
plus_line: "+" /(.*)/ LF
end_of_file: "*** End of File" LF

path: /(.+)/

%import common.LF
`

// ToolDescription is what the model reads about the apply_patch custom tool.
const ToolDescription = "Use `apply_patch` to create, change, rename and delete files. It is a freeform tool: its input is the patch text itself, not JSON."
