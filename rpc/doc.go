// Package rpc is deckhand's JSON-RPC face: the protocol's methods, the
// lifecycle (initialize, shutdown, exit), the translation between the
// protocol's wire types and the engine, and the engine's view of the
// editor (notifications and permission prompts). The transport it serves
// them on, framing, dispatch, cancellation and the ordered output, is the
// jsonrpc package's Conn.
package rpc
