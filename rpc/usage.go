package rpc

import (
	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/protocol"
)

// usage sends chat/usage. Only the latest matters: under pressure a queued
// one is replaced by the next of its turn.
func (c *client) usage(ev engine.TurnEvent) {
	if ev.Usage == nil {
		return
	}
	u := ev.Usage
	p := protocol.ChatUsageParams{TurnRef: ref(ev), Usage: protocol.Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens,
		ContextTokens: u.ContextTokens, ContextWindow: u.ContextWindow}}
	c.conn.NotifyMergeable(protocol.NotifyChatUsage, "usage/"+ev.SessionID+"/"+ev.TurnID, p, func(_, newer any) any { return newer })
}
