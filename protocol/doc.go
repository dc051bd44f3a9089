// Package protocol holds deckhand's wire types: the params, results,
// notifications, enums and error codes of the JSON-RPC contract that editors
// speak to deckhand over stdio. It is the contract in Go and nothing else:
// no behaviour, and no import of any other deckhand package.
package protocol

// Version is the protocol version reported by initialize.
const Version = 1

// Method names, requests and notifications, in both directions.
const (
	MethodInitialize    = "initialize"
	MethodShutdown      = "shutdown"
	MethodExit          = "exit"
	MethodCancelRequest = "$/cancelRequest"

	MethodConnect       = "connect"
	MethodStartOAuth    = "startOAuth"
	MethodCompleteOAuth = "completeOAuth"
	MethodPollDevice    = "pollDevice"
	MethodLogout        = "logout"
	MethodAuthStatus    = "authStatus"
	MethodModels        = "models"

	MethodChat   = "chat"
	MethodCancel = "cancel"

	// Server to client.
	NotifyAuthCompleted  = "auth/completed"
	NotifyChatStarted    = "chat/started"
	NotifyChatDelta      = "chat/delta"
	NotifyChatReasoning  = "chat/reasoning"
	NotifyChatToolCall   = "chat/toolCall"
	NotifyChatToolResult = "chat/toolResult"
	RequestPermission    = "permission/request"
)
