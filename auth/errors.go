package auth

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels. Every error this package returns for these conditions satisfies
// errors.Is with one of them; the messages say what the user can do.
var (
	// ErrCancelled: the login flow was cancelled (Close, /cancel, another
	// listener taking the port, or the caller's context).
	ErrCancelled = errors.New("login cancelled")
	// ErrStateMismatch: a callback carried a missing or wrong state; it did
	// not come from this login, which keeps waiting.
	ErrStateMismatch = errors.New("state mismatch: this redirect did not come from your login; the login is still waiting")
	// ErrDeviceExpired: the device code expired before the user approved it.
	ErrDeviceExpired = errors.New("the device code expired before the login was approved; start the login again")
	// ErrDeviceDenied: the user denied the device login.
	ErrDeviceDenied = errors.New("the login was denied in the browser; start the login again to retry")
	// ErrDeviceLoginDisabled: the issuer does not offer device-code login for
	// this account.
	ErrDeviceLoginDisabled = errors.New("device-code login is not enabled for this account: enable it in ChatGPT under Settings > Security, or use the browser method")
	// ErrReauth: the stored login can no longer be refreshed; the user must
	// log in again.
	ErrReauth = errors.New("the login has expired or was revoked; log in again")
	// ErrNoCredential: auth.json holds no openai entry.
	ErrNoCredential = errors.New("not logged in to OpenAI; connect with ChatGPT or an API key")
	// ErrUnusableEntry: auth.json parses, but its openai entry cannot be used
	// (an unknown or missing type, a field of the wrong type, no key or no
	// tokens). The file is left as it is; logging in again replaces the entry.
	ErrUnusableEntry = errors.New("the stored OpenAI login cannot be used; log in again")
	// ErrCorrupt: auth.json could not be parsed (see CorruptError).
	ErrCorrupt = errors.New("auth.json could not be parsed")
	// ErrRefreshBusy: another deckhand process held the refresh lock for
	// longer than a refresh takes.
	ErrRefreshBusy = errors.New("another deckhand process is refreshing the login and has not finished; try again in a moment")
	// ErrPortInUse: the browser flow's callback port stayed busy.
	ErrPortInUse = errors.New("the login callback port is in use")
)

// TokenError is a failure answered by the issuer's token or device endpoints.
type TokenError struct {
	Op          string // what was being done: "exchange code", "refresh token", ...
	Status      int    // HTTP status
	Code        string // the body's "error" (or error.code, or "code"); may be empty
	Description string // the body's error_description or message; may be empty
}

// Reauth reports whether the failure is permanent: the user must log in again.
func (e *TokenError) Reauth() bool {
	if e.Status == 401 {
		return true
	}
	switch e.Code {
	case "refresh_token_expired", "refresh_token_reused", "refresh_token_invalidated", "invalid_grant":
		return true
	}
	return false
}

// Is makes errors.Is(err, ErrReauth) true for permanent failures.
func (e *TokenError) Is(target error) bool {
	return target == ErrReauth && e.Reauth()
}

func (e *TokenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: the OpenAI login server answered HTTP %d", e.Op, e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", e.Description)
	}
	switch {
	case e.Reauth():
		b.WriteString("; the login has expired or was revoked, log in again")
	case e.Status == 429 || e.Status >= 500:
		b.WriteString("; try again in a moment")
	default:
		b.WriteString("; try again, and log in again if it keeps failing")
	}
	return b.String()
}

// AuthorizeError is an error the sign-in page sent back on the redirect
// (error and error_description parameters).
type AuthorizeError struct {
	Code        string
	Description string
}

func (e *AuthorizeError) Error() string {
	if e.Code == "access_denied" && strings.Contains(e.Description, "missing_codex_entitlement") {
		return "sign-in failed: Codex is not enabled for your ChatGPT workspace; ask its admin to enable it, or use an API key"
	}
	desc := e.Description
	if desc == "" {
		desc = e.Code
	}
	return fmt.Sprintf("sign-in failed: %s (%s); start the login again", desc, e.Code)
}

// CorruptError reports an auth.json that could not be parsed and was moved
// aside to Backup. errors.Is(err, ErrCorrupt) holds.
type CorruptError struct {
	Path   string // where auth.json was
	Backup string // where it is now
	Err    error  // the parse error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s could not be parsed (%v); it was moved aside to %s; log in again", e.Path, e.Err, e.Backup)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Unwrap returns the parse error.
func (e *CorruptError) Unwrap() error { return e.Err }
