package jsonrpc

import (
	"errors"
	"fmt"
)

// ErrClosed is returned by Call (and by Stream writes) once the connection
// is closed or its output has failed for good.
var ErrClosed = errors.New("jsonrpc: connection closed")

// errPanic marks a handler that panicked; it is answered with -32603.
var errPanic = errors.New("handler panicked")

// Error is a JSON-RPC error object. A handler returns one (possibly wrapped)
// to choose the code, message and data sent to the peer; Call returns one
// when the peer answers with an error, Data then being the raw JSON
// (json.RawMessage) or nil.
type Error struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%s (code %d)", e.Message, e.Code)
}
