package rpc

import (
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/protocol"
)

func TestEngineErrorsAreWordedForTheProtocol(t *testing.T) {
	s := &Server{log: zap.NewNop()}
	cases := []struct {
		err  error
		code int64
		want string
	}{
		{fmt.Errorf("chat: %w", &engine.UnknownSessionError{SessionID: "ses_x"}), protocol.CodeInvalidParams,
			`Unknown session "ses_x": leave sessionId out to start a new session`},
		{&engine.UnknownFlowError{FlowID: "flow_x"}, protocol.CodeInvalidParams, "start a new login with startOAuth."},
		{&engine.AuthRequiredError{Cause: engine.AuthNotLoggedIn, Reason: "deckhand is not logged in to OpenAI: log in."},
			protocol.CodeAuthRequired, "log in with ChatGPT Plus/Pro or an API key."}, // no protocol words for the user
		{&engine.AuthRequiredError{Cause: engine.AuthExpired, Reason: "Your ChatGPT login has expired."},
			protocol.CodeAuthRequired, "Your ChatGPT login has expired."},
		{&engine.InvalidParamsError{Field: "message", Problem: "is blank"}, protocol.CodeInvalidParams, "Invalid params: message is blank."},
	}
	for _, tc := range cases {
		e, ok := s.wireError(tc.err).(*Error)
		if !ok || e.Code != tc.code || !strings.Contains(e.Message, tc.want) {
			t.Errorf("%v: got %+v, want code %d and %q", tc.err, e, tc.code, tc.want)
		}
	}
}
