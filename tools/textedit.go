package tools

// ReplaceText applies an edit call's replacement to content held elsewhere
// than the workspace's disk (an editor's buffer), with the rules of the edit
// tool: old must occur exactly once unless all is set, and a file whose lines
// all end in "\r\n" keeps them. name is the file's name in messages. It
// returns the new content and how many occurrences were replaced, or a
// message the model can act on.
func ReplaceText(content, old, new string, all bool, name string) (after string, count int, msg string) {
	if old == new {
		return "", 0, "oldString and newString are the same: there is nothing to change"
	}
	change, msg := replaceText(content, old, new, all, name)
	if msg != "" {
		return "", 0, msg
	}
	return change.written, change.count, ""
}
