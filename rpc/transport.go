package rpc

import "github.com/deckhand-dev/deckhand/jsonrpc"

// The transport lives in package jsonrpc; these names keep the face's code
// reading as it did.
type (
	// Conn is the JSON-RPC peer the server speaks over.
	Conn = jsonrpc.Conn
	// Error is a JSON-RPC error object a handler returns.
	Error = jsonrpc.Error
	// HandlerFunc answers one request.
	HandlerFunc = jsonrpc.HandlerFunc
)
