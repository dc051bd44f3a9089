package acp

import (
	"strings"

	sdk "github.com/coder/acp-go-sdk"

	"github.com/deckhand-dev/deckhand/engine"
)

// The Codex models' tools in ACP: a running command's output is the tool
// call's content while it comes. (An apply_patch shows one diff per file
// before it runs, and after, as every change does: client.go.)

// outputShown bounds the output of a running command a tool call shows: its
// end is kept.
const outputShown = 64 << 10

// toolOutput shows a running command's output so far.
func (c *client) toolOutput(ev engine.TurnEvent) {
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
