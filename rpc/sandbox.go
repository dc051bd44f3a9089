package rpc

import (
	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/protocol"
)

// withSandbox adds initialize's capabilities.sandbox (1.2) to caps.
func withSandbox(caps *protocol.ServerCapabilities, s engine.SandboxStatus) *protocol.ServerCapabilities {
	caps.Sandbox = &protocol.SandboxCapability{Kind: s.Kind, Reason: s.Reason, NetworkClosed: s.NetworkClosed}
	return caps
}
