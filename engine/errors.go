package engine

import (
	"errors"
	"fmt"
	"time"
)

// The engine's errors are values and types that say what went wrong; each
// face (the JSON-RPC server, the terminal commands, ACP) words them for its
// own users and maps them to its own codes. Their Error texts are complete
// sentences that name no face's methods.

// Sentinel errors.
var (
	// ErrInvalidParams: a request's params are wrong (blank message, unknown
	// method name, ...). Wrapped with the detail, or an *InvalidParamsError.
	ErrInvalidParams = errors.New("invalid params")
	// ErrUnknownSession: no session has that id; an *UnknownSessionError
	// names it.
	ErrUnknownSession = errors.New("unknown session")
	// ErrUnknownFlow: no login flow has that id; an *UnknownFlowError names
	// it.
	ErrUnknownFlow = errors.New("unknown login flow")
	// ErrNotAttached: a session was asked for in the attached workspace
	// before any client attached.
	ErrNotAttached = errors.New("no workspace is attached yet")
)

// InvalidParamsError: one parameter of a request is wrong. Field is the
// parameter's name as the engine knows it (message, reasoningEffort,
// workspaceRoot, sessionId, ...).
type InvalidParamsError struct {
	Field   string
	Problem string // what is wrong, e.g. "is blank"
}

func (e *InvalidParamsError) Error() string {
	return fmt.Sprintf("invalid params: %s %s", e.Field, e.Problem)
}

// Is makes an InvalidParamsError match ErrInvalidParams.
func (e *InvalidParamsError) Is(target error) bool { return target == ErrInvalidParams }

// UnknownSessionError: no session, in memory or stored, has the id.
type UnknownSessionError struct{ SessionID string }

func (e *UnknownSessionError) Error() string {
	return fmt.Sprintf("unknown session %q", e.SessionID)
}

// Is makes an UnknownSessionError match ErrUnknownSession.
func (e *UnknownSessionError) Is(target error) bool { return target == ErrUnknownSession }

// UnknownFlowError: no login flow has the id (it ended, or never was).
type UnknownFlowError struct{ FlowID string }

func (e *UnknownFlowError) Error() string {
	return fmt.Sprintf("unknown login flow %q: start a new login", e.FlowID)
}

// Is makes an UnknownFlowError match ErrUnknownFlow.
func (e *UnknownFlowError) Is(target error) bool { return target == ErrUnknownFlow }

// AuthCause says why a login is required.
type AuthCause int

// Auth causes.
const (
	AuthOther       AuthCause = iota // see Reason
	AuthNotLoggedIn                  // nothing is stored and no key is set
	AuthExpired                      // the login expired and could not be refreshed
	AuthRefused                      // the model service refused the credential
	AuthUnusable                     // the stored login cannot be used (Reason says why)
)

// AuthRequiredError: deckhand has no usable login, or the login expired and
// could not be refreshed. The user must log in (again) with one of Methods.
type AuthRequiredError struct {
	Cause   AuthCause
	Reason  string // a sentence for the user, naming no face's methods
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
