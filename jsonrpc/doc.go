// Package jsonrpc is the JSON-RPC 2.0 peer that deckhand's faces share: the
// transport (the framing chosen from the first byte the client sends,
// recovery from malformed frames, the frame size limit), the dispatch of
// requests and notifications (each request in its own goroutine with its
// own context, notifications in arrival order), the cancellation map behind
// $/cancelRequest, the ordered outgoing queue that the single writer
// drains, and requests from the server to the client. It knows no method
// of either face: rpc and acp register their handlers on a Conn.
//
// The connection is built on github.com/sourcegraph/jsonrpc2, which reads
// messages and routes responses to outgoing calls; Stream and Conn close the
// gaps that library leaves (no automatic framing, a closed connection on any
// malformed input, no per-request context, no $/cancelRequest, code 0 for
// plain errors, outgoing ids from 0).
package jsonrpc
