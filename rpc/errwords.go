package rpc

import (
	"errors"
	"fmt"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/protocol"
)

// wordError words the engine's typed errors for an editor: the engine says
// what went wrong, this face says which of its methods puts it right. It
// returns nil for errors it leaves to wireError.
func wordError(err error) *Error {
	var (
		unknownSession *engine.UnknownSessionError
		unknownFlow    *engine.UnknownFlowError
		authReq        *engine.AuthRequiredError
		broken         *engine.BrokenError
	)
	switch {
	case errors.As(err, &unknownSession):
		return &Error{Code: protocol.CodeInvalidParams, Message: fmt.Sprintf(
			"Unknown session %q: leave sessionId out to start a new session, or pick one that sessions/list shows.", unknownSession.SessionID)}
	case errors.As(err, &broken):
		return &Error{Code: protocol.CodeInvalidParams, Message: sentence(broken.Error()) + " It is left on disk as it is; delete it with sessions/delete."}
	case errors.As(err, &unknownFlow):
		return &Error{Code: protocol.CodeInvalidParams, Message: fmt.Sprintf(
			"Unknown login flow %q: start a new login with startOAuth.", unknownFlow.FlowID)}
	case errors.As(err, &authReq) && authReq.Cause == engine.AuthNotLoggedIn:
		return &Error{Code: protocol.CodeAuthRequired,
			Message: "deckhand is not logged in to OpenAI: log in with ChatGPT Plus/Pro or an API key.",
			Data:    protocol.AuthRequiredData{Provider: protocol.ProviderOpenAI, Methods: methods()}}
	}
	return nil
}
