package protocol

// Error codes of deckhand's protocol: LSP's, then deckhand's own. The
// standard JSON-RPC codes (-32700, -32600 to -32603) and LSP's -32800 for a
// cancelled request belong to the transport: see package jsonrpc.
const (
	// CodeServerNotInitialized answers any request before initialize (LSP).
	CodeServerNotInitialized = -32002

	// CodeAuthRequired: not connected, or the login expired and could not be
	// refreshed. Data is AuthRequiredData.
	CodeAuthRequired = -32000
	// CodeSessionBusy: a turn is already running on the session. Data is SessionBusyData.
	CodeSessionBusy = -32003
	// CodeUsageNotIncluded: the ChatGPT plan does not include Codex. Data is UsageNotIncludedData.
	CodeUsageNotIncluded = -32010
	// CodeRateLimited: a rate or usage limit was reached. Data is RateLimitData.
	CodeRateLimited = -32011
	// CodeUpstreamFailed: the upstream failed after retries. Data is UpstreamFailedData.
	CodeUpstreamFailed = -32012
	// CodeModelNotServed (1.1): the model is not served for this login.
	// Data is ModelNotServedData.
	CodeModelNotServed = -32013
)

// Error is the {code, message} pair carried inside results and notifications
// (auth/completed, pollDevice) rather than as a JSON-RPC error.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// AuthRequiredData is the data of CodeAuthRequired.
type AuthRequiredData struct {
	Provider string   `json:"provider"`
	Methods  []Method `json:"methods"`
}

// SessionBusyData is the data of CodeSessionBusy.
type SessionBusyData struct {
	SessionID string `json:"sessionId"`
}

// UsageNotIncludedData is the data of CodeUsageNotIncluded.
type UsageNotIncludedData struct {
	Provider string `json:"provider"`
}

// RateLimitData is the data of CodeRateLimited. ResetsAt is RFC 3339.
type RateLimitData struct {
	RetryAfterSeconds *int   `json:"retryAfterSeconds,omitempty"`
	ResetsAt          string `json:"resetsAt,omitempty"`
}

// UpstreamFailedData is the data of CodeUpstreamFailed.
type UpstreamFailedData struct {
	Status int    `json:"status,omitempty"`
	Detail string `json:"detail"`
}

// ModelNotServedData is the data of CodeModelNotServed: the model asked for
// and the ids the login does serve.
type ModelNotServedData struct {
	Model     string   `json:"model"`
	Available []string `json:"available"`
}
