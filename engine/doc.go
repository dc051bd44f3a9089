// Package engine is deckhand's core. It owns the login flows in progress and
// the current credentials, the chat sessions and their turns, the tool loop,
// and the choice between ChatGPT's Codex backend (OAuth) and the public
// Responses API (API key), both spoken through openai-go.
//
// The engine knows nothing of JSON-RPC: it reports what happens through the
// Client interface, which the rpc package implements for an editor and the
// exec command implements for a terminal.
package engine
