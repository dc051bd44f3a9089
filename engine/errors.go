package engine

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. The rpc package maps each to its JSON-RPC code.
var (
	// ErrInvalidParams: a request's params are wrong (blank message, unknown
	// method name, ...). Wrapped with the detail.
	ErrInvalidParams = errors.New("invalid params")
	// ErrUnknownSession: no session has that id.
	ErrUnknownSession = errors.New("unknown session")
	// ErrUnknownFlow: no login flow has that id.
	ErrUnknownFlow = errors.New("unknown login flow")
)

// AuthRequiredError: deckhand has no usable login, or the login expired and
// could not be refreshed. The user must log in (again) with one of Methods.
type AuthRequiredError struct {
	Reason  string
	Methods []Method
}

func (e *AuthRequiredError) Error() string { return e.Reason }

// SessionBusyError: a turn is already running on the session.
type SessionBusyError struct{ SessionID string }

func (e *SessionBusyError) Error() string {
	return fmt.Sprintf("session %s is busy with another turn: wait for it to end or cancel it", e.SessionID)
}

// UsageNotIncludedError: the ChatGPT plan does not include Codex.
type UsageNotIncludedError struct{}

func (e *UsageNotIncludedError) Error() string {
	return "Your ChatGPT plan does not include Codex: upgrade to Plus or Pro, or log in with an API key instead."
}

// RateLimitError: a rate or usage limit was reached. RetryAfter and ResetsAt
// are zero when the upstream did not say.
type RateLimitError struct {
	Message    string
	RetryAfter time.Duration
	ResetsAt   time.Time
	OAuth      bool // a ChatGPT login, for which an API key is a way out
}

func (e *RateLimitError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "The usage or rate limit of this login has been reached"
	}
	switch {
	case !e.ResetsAt.IsZero():
		msg = fmt.Sprintf("%s; it resets at %s. Try again then", msg, e.ResetsAt.UTC().Format(time.RFC3339))
	case e.RetryAfter > 0:
		msg = fmt.Sprintf("%s; try again in %s", msg, e.RetryAfter.Round(time.Second))
	default:
		msg += "; try again later"
	}
	if e.OAuth {
		msg += ", or switch to an API key"
	}
	return msg + "."
}

// UpstreamError: the model service failed after retries, or answered
// something deckhand cannot use. Status is 0 when no HTTP status applies.
type UpstreamError struct {
	Status  int
	Detail  string
	Message string
}

func (e *UpstreamError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return "The model service failed: " + e.Detail
}
