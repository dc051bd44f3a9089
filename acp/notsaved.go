package acp

import (
	sdk "github.com/coder/acp-go-sdk"

	"github.com/deckhand-dev/deckhand/engine"
)

// notSaved tells the user that the conversation could not be written to
// disk (a full disk, a folder deckhand may not write): the rpc face's
// chat/notSaved. ACP has no update of its own for it, so it is a message
// of the agent's, on a paragraph of its own, in words a user reads.
func (c *client) notSaved(ev engine.TurnEvent) {
	c.update(ev.SessionID, sdk.UpdateAgentMessageText(
		"\n\n**This conversation is not saved on disk.** "+capitalize(ev.Error)+".\n"))
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
