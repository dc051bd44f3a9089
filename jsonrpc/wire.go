package jsonrpc

import (
	"encoding/json"

	"github.com/sourcegraph/jsonrpc2"
)

// The shapes deckhand writes. jsonrpc2's own Request and Response would do,
// but writing these directly lets replies and notifications be flushed
// after jsonrpc2 has stopped reading (at input EOF), and puts "jsonrpc"
// first.

type wireError struct {
	Code    int64           `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

type wireResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      jsonrpc2.ID     `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"` // "null" for a nil result
	Error   *wireError      `json:"error,omitempty"`
}

type wireNotification struct {
	JSONRPC string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"`
}
