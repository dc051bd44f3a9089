package protocol

// Version 1.2 additions for the tools the Codex models were trained on
// (apply_patch, exec_command and write_stdin, view_image).

// NotifyChatToolOutput streams a running command's output to the editor,
// at most every 100 ms per call.
const NotifyChatToolOutput = "chat/toolOutput"

// ChatToolOutputParams are the params of chat/toolOutput: the output of
// call CallID since the last notification.
type ChatToolOutputParams struct {
	TurnRef
	CallID string `json:"callId"`
	Text   string `json:"text"`
}

// PreviewFile is one file of an apply_patch's preview: its action ("add",
// "update", "delete" or "move", with MovePath the destination) and the
// unified diff of the change.
type PreviewFile struct {
	Path     string `json:"path"`
	Action   string `json:"action"`
	MovePath string `json:"movePath,omitempty"`
	Diff     string `json:"diff"`
}
