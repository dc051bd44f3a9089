package acp

import (
	"strings"

	"github.com/deckhand-dev/deckhand/jsonrpc"
)

// paramsProblem says what is wrong with a request's params in the
// protocol's words, not Go's.
func paramsProblem(err error) string {
	if msg, ok := jsonrpc.ParamsProblem(err); ok {
		return msg
	}
	// The ACP types' own decoders (content blocks, unions) say what they
	// missed; keep their words, without Go's prefixes.
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return "params do not match the method: " + msg
}
