// Package mcp owns deckhand's side of the Model Context Protocol: the
// configuration of MCP servers (stdio commands and HTTP endpoints), starting
// them in parallel with a timeout, their tools under names the Responses API
// accepts, calls and resource reads, and their status as it changes. It is a
// client over the official Go SDK and knows nothing of sessions, permissions
// or the model: the engine decides when a Set starts and what may run.
package mcp
