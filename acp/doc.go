// Package acp is deckhand's second face: the Agent Client Protocol (ACP v1),
// which Zed, JetBrains IDEs, CodeCompanion.nvim, avante.nvim and other
// editors speak to coding agents, served by `deckhand acp` over stdio with
// newline-delimited JSON-RPC.
//
// It translates between ACP and the engine, as rpc does for deckhand's own
// protocol: initialize and the three logins (authenticate), sessions
// (session/new, session/list, session/load), turns (session/prompt streaming
// session/update, session/cancel), permission prompts
// (session/request_permission), model and reasoning effort as session config
// options, and the client's files and terminals (fs/*, terminal/*) as the
// place where the tools read, write and run when the client offers them.
//
// The wire types are those of github.com/coder/acp-go-sdk, generated from
// ACP's schema. The connection is deckhand's own jsonrpc.Conn, the peer rpc
// uses too, not the SDK's: one transport for both faces, with its recovery
// from malformed frames, its ordered output queue and its cancellation map.
package acp
