package acp

import (
	sdk "github.com/coder/acp-go-sdk"

	"github.com/deckhand-dev/deckhand/engine"
)

// citeSources shows the web pages the answer cites, after it: ACP's prompt
// answer has no place for them, so they are the end of the agent's
// message, one resource_link each (titled), which a client shows as links.
func (a *Agent) citeSources(sessionID string, sources []engine.Source) {
	if len(sources) == 0 {
		return
	}
	a.view.update(sessionID, sdk.UpdateAgentMessageText("\n\nSources:\n"))
	for _, s := range sources {
		name := s.Title
		if name == "" {
			name = s.URL
		}
		block := sdk.ResourceLinkBlock(name, s.URL)
		if s.Title != "" {
			block.ResourceLink.Title = sdk.Ptr(s.Title)
		}
		a.view.update(sessionID, sdk.UpdateAgentMessage(block))
	}
}
