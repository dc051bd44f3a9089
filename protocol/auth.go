package protocol

// ProviderOpenAI is the one provider served.
const ProviderOpenAI = "openai"

// Auth types.
const (
	AuthNone  = "none"
	AuthAPI   = "api"
	AuthOAuth = "oauth"
)

// Auth sources.
const (
	SourceStored = "stored"
	SourceEnv    = "env"
)

// Login method ids, in the order connect lists them.
const (
	MethodIDBrowser  = "browser"
	MethodIDHeadless = "headless"
	MethodIDAPIKey   = "apiKey"
)

// AuthStatus is the login state. It never carries a token or key.
type AuthStatus struct {
	Provider  string `json:"provider"`
	Type      string `json:"type"`
	Source    string `json:"source,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	// ExpiresAt is RFC 3339.
	ExpiresAt string `json:"expiresAt,omitempty"`
	// Warning (an extension) says what went wrong with the stored login,
	// e.g. an auth.json that could not be parsed and was moved aside.
	Warning string `json:"warning,omitempty"`
}

// Method is one way to log in.
type Method struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// ConnectParams are the params of connect.
type ConnectParams struct {
	Provider string `json:"provider"`
	Method   string `json:"method,omitempty"`
	APIKey   string `json:"apiKey,omitempty"`
}

// ConnectResult is the result of connect.
type ConnectResult struct {
	Provider string     `json:"provider"`
	Methods  []Method   `json:"methods"`
	Status   AuthStatus `json:"status"`
}

// StartOAuthParams are the params of startOAuth.
type StartOAuthParams struct {
	Provider string `json:"provider"`
	Method   string `json:"method"`
	// OpenBrowser defaults to true.
	OpenBrowser *bool `json:"openBrowser,omitempty"`
}

// StartOAuthResult is the result of startOAuth: URL for the browser method;
// UserCode, VerificationURL and IntervalSeconds for the headless one.
type StartOAuthResult struct {
	FlowID          string `json:"flowId"`
	Method          string `json:"method"`
	URL             string `json:"url,omitempty"`
	UserCode        string `json:"userCode,omitempty"`
	VerificationURL string `json:"verificationUrl,omitempty"`
	IntervalSeconds int    `json:"intervalSeconds,omitempty"`
	// ExpiresAt is RFC 3339.
	ExpiresAt string `json:"expiresAt"`
}

// CompleteOAuthParams are the params of completeOAuth.
type CompleteOAuthParams struct {
	FlowID      string `json:"flowId"`
	CallbackURL string `json:"callbackUrl"`
}

// Flow states reported by pollDevice.
const (
	FlowPending   = "pending"
	FlowComplete  = "complete"
	FlowExpired   = "expired"
	FlowDenied    = "denied"
	FlowCancelled = "cancelled"
	FlowFailed    = "failed"
)

// PollDeviceParams are the params of pollDevice.
type PollDeviceParams struct {
	FlowID string `json:"flowId"`
	Wait   bool   `json:"wait,omitempty"`
}

// PollDeviceResult is the result of pollDevice.
type PollDeviceResult struct {
	FlowID string      `json:"flowId"`
	State  string      `json:"state"`
	Status *AuthStatus `json:"status,omitempty"`
	Error  *Error      `json:"error,omitempty"`
}

// AuthCompletedParams are the params of the auth/completed notification.
type AuthCompletedParams struct {
	FlowID string     `json:"flowId"`
	Method string     `json:"method"`
	OK     bool       `json:"ok"`
	Error  *Error     `json:"error,omitempty"`
	Status AuthStatus `json:"status"`
}

// LogoutParams are the params of logout.
type LogoutParams struct {
	Provider string `json:"provider"`
}

// Model is one model the user can pick.
type Model struct {
	ID    string `json:"id"`
	Label string `json:"label,omitempty"`
	// 1.1: Default marks the default entry; ReasoningEfforts are the
	// reasoningEffort values chat may ask for with this model.
	Default          bool     `json:"default,omitempty"`
	ReasoningEfforts []string `json:"reasoningEfforts,omitempty"`
	Description      string   `json:"description,omitempty"` // an extension
	// 1.2: the kind of tools the model is given ("code", "native" or
	// "classic"), the effort a chat that names none runs with, and the
	// context window in tokens (absent when unknown).
	Tools                  string `json:"tools,omitempty"`
	DefaultReasoningEffort string `json:"defaultReasoningEffort,omitempty"`
	ContextWindow          int64  `json:"contextWindow,omitempty"`
}

// ModelsResult is the result of models. Source (1.1) is "live" when the
// upstream's catalog answered, "builtin" otherwise.
type ModelsResult struct {
	Models  []Model `json:"models"`
	Default string  `json:"default"`
	Source  string  `json:"source,omitempty"`
}
