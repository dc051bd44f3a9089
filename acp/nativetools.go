package acp

import (
	"context"
	"strings"

	sdk "github.com/coder/acp-go-sdk"

	"github.com/deckhand-dev/deckhand/engine"
)

// The Codex models' tools in ACP: an apply_patch shows one diff per file
// before it runs (and after), and a running command's output is the tool
// call's content while it comes.

// outputShown bounds the output of a running command a tool call shows: its
// end is kept.
const outputShown = 64 << 10

// previewPatch is the content of an apply_patch call awaiting permission:
// every file's diff; none when the patch cannot apply (the model is told).
func (c *client) previewPatch(ev engine.TurnEvent) []sdk.ToolCallContent {
	ctx, cancel := context.WithTimeout(context.Background(), previewWait)
	changes, ok := c.a.eng.PreviewPatch(ctx, ev.SessionID, ev.Arguments)
	cancel()
	if !ok {
		return nil
	}
	c.mu.Lock()
	c.patches[ev.CallID] = changes
	c.mu.Unlock()
	content := make([]sdk.ToolCallContent, 0, len(changes))
	for _, ch := range changes {
		content = append(content, diffOf(ch))
	}
	return content
}

// toolOutput shows a running command's output so far.
func (c *client) toolOutput(ev engine.TurnEvent) {
	if _, ok := c.inTerminal.Load(ev.CallID); ok {
		return // the client's terminal, shown in the call, has it
	}
	c.mu.Lock()
	b := c.outputs[ev.CallID]
	if b == nil {
		b = &strings.Builder{}
		c.outputs[ev.CallID] = b
	}
	b.WriteString(ev.Text)
	text := b.String()
	if len(text) > outputShown {
		text = text[len(text)-outputShown:]
		b.Reset()
		b.WriteString(text)
	}
	c.mu.Unlock()
	status := sdk.ToolCallStatusInProgress
	c.update(ev.SessionID, sdk.SessionUpdate{ToolCallUpdate: &sdk.SessionToolCallUpdate{
		SessionUpdate: "tool_call_update", ToolCallId: sdk.ToolCallId(ev.CallID), Status: &status,
		Content: []sdk.ToolCallContent{sdk.ToolContent(sdk.TextBlock(fenced(text)))},
	}})
}
