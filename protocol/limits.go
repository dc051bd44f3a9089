package protocol

// Version 1.2: plan limits.

// Plan-limit methods and notifications.
const (
	// MethodLimits asks for the last known limits: params {} → AccountLimits.
	MethodLimits = "limits"
	// NotifyAccountLimits carries AccountLimits after each model response
	// that reported them.
	NotifyAccountLimits = "account/limits"
)

// LimitWindow is one usage window, named by its length ("5h", "weekly"),
// never by its slot. ResetsAt is RFC 3339.
type LimitWindow struct {
	Name          string  `json:"name"`
	WindowMinutes int64   `json:"windowMinutes"`
	UsedPercent   float64 `json:"usedPercent"`
	ResetsAt      string  `json:"resetsAt,omitempty"`
}

// LimitCredits is what the service said of the login's credits.
type LimitCredits struct {
	HasCredits bool   `json:"hasCredits"`
	Unlimited  bool   `json:"unlimited"`
	Balance    string `json:"balance,omitempty"`
}

// AccountLimits is the params of account/limits and the result of limits
// (Windows empty when the service never reported any).
type AccountLimits struct {
	PlanType   string        `json:"planType,omitempty"`
	Windows    []LimitWindow `json:"windows"`
	Credits    *LimitCredits `json:"credits,omitempty"`
	ObservedAt string        `json:"observedAt,omitempty"` // an extension: when the service said it
}
