package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/auth"
)

// Method is one way to log in.
type Method struct{ ID, Label string }

// Login method ids.
const (
	MethodBrowser  = "browser"
	MethodHeadless = "headless"
	MethodAPIKey   = "apiKey"
)

// Methods lists the ways to log in to OpenAI, in the order a picker shows them.
func Methods() []Method {
	return []Method{
		{MethodBrowser, "ChatGPT Plus/Pro (browser)"},
		{MethodHeadless, "ChatGPT Plus/Pro (headless)"},
		{MethodAPIKey, "Manually enter API key"},
	}
}

// Provider is the one provider deckhand serves.
const Provider = "openai"

// Status is the login state; it never holds a secret.
type Status struct {
	Type      string // "none" | "api" | "oauth"
	Source    string // "stored" | "env" | ""
	AccountID string
	ExpiresAt time.Time
	// Warning says what went wrong with the stored login, e.g. an
	// auth.json that could not be parsed and was moved aside.
	Warning string
}

// Status reads the login state afresh from auth.json, so that a login, logout
// or refresh by another deckhand process is seen at once.
func (e *Engine) Status() Status {
	cred, ok, err := e.store.Load()
	if err != nil {
		e.noteCorrupt(err)
		e.log.Warn("auth.json unreadable", zap.Error(err))
	}
	st := Status{Type: "none"}
	switch {
	case err == nil && ok:
		st = statusOf(cred, "stored")
	case errors.Is(err, auth.ErrUnusableEntry):
		// An openai entry is there, if unusable: OPENAI_API_KEY stands in
		// only when there is none, as chat does.
	case e.cfg.EnvAPIKey != "":
		st = Status{Type: "api", Source: "env"}
	}
	e.mu.Lock()
	st.Warning = e.corrupt
	e.mu.Unlock()
	if errors.Is(err, auth.ErrUnusableEntry) {
		st.Warning = unusableMessage(err)
	}
	return st
}

// noteCorrupt remembers that auth.json was moved aside, so that the user is
// told until they log in again.
func (e *Engine) noteCorrupt(err error) {
	var ce *auth.CorruptError
	if errors.As(err, &ce) {
		e.mu.Lock()
		e.corrupt = fmt.Sprintf("auth.json could not be parsed and was moved aside to %s: log in again.", ce.Backup)
		e.mu.Unlock()
	}
}

func statusOf(c auth.Credential, source string) Status {
	s := Status{Type: c.Type, Source: source}
	if c.Type == "oauth" {
		s.AccountID = c.AccountID
		s.ExpiresAt = c.Expires
	}
	return s
}

// ConnectAPIKey checks an API key with the API (GET /models) and stores it
// as the openai login. A key the API refuses is ErrInvalidParams and nothing
// is written; when the API cannot be reached the key is stored, and the
// status's Warning says it is not verified yet.
func (e *Engine) ConnectAPIKey(ctx context.Context, key string) (Status, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return Status{}, fmt.Errorf("%w: apiKey is blank", ErrInvalidParams)
	}
	cred := auth.Credential{Type: "api", Key: key}
	warning := ""
	switch err := e.checkKey(ctx, cred); {
	case err == nil:
	case errors.Is(err, errKeyRefused):
		e.log.Info("api key refused by the API; not stored")
		return Status{}, fmt.Errorf("%w: OpenAI refused this key (%v); check it and enter it again", ErrInvalidParams, err)
	case ctx.Err() != nil:
		return Status{}, ctx.Err()
	default:
		e.log.Warn("api key could not be verified; storing it anyway", zap.Error(err))
		warning = "The API key is stored but not verified yet: OpenAI could not be reached (" + sentence(err.Error()) + ")"
	}
	if err := e.save(ctx, cred); err != nil {
		return Status{}, fmt.Errorf("save the API key: %w", err)
	}
	e.log.Info("api key stored", zap.Bool("verified", warning == ""))
	st := e.Status()
	if warning != "" && st.Warning == "" {
		st.Warning = warning
	}
	return st, nil
}

// errKeyRefused: the API answered 401 or 403 to a key.
var errKeyRefused = errors.New("the API refused the key")

// checkKey asks the API's model list with cred, bounded to 15 s.
func (e *Engine) checkKey(ctx context.Context, cred auth.Credential) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, err := e.get(ctx, cred, strings.TrimRight(e.cfg.APIBaseURL, "/")+"/models")
	var u *UpstreamError
	if errors.As(err, &u) {
		switch u.Status {
		case 401, 403:
			return fmt.Errorf("%w: HTTP %d", errKeyRefused, u.Status)
		}
		if u.Status/100 == 4 {
			return nil // reached and answered: the key is not what it refused
		}
		return fmt.Errorf("HTTP %d from %s", u.Status, e.cfg.APIBaseURL)
	}
	return err
}

// Logout removes the stored openai login (other providers are kept).
func (e *Engine) Logout(ctx context.Context) (Status, error) {
	err := e.locked(ctx, e.store.Delete)
	e.noteMovedAside()
	if err != nil {
		return Status{}, fmt.Errorf("log out: %w", err)
	}
	e.log.Info("logged out")
	return e.Status(), nil
}

// save stores a login, serialised with other processes' refreshes.
func (e *Engine) save(ctx context.Context, c auth.Credential) error {
	err := e.locked(ctx, func() error { return e.store.Save(c) })
	if err == nil {
		e.mu.Lock()
		e.corrupt = ""
		e.mu.Unlock()
	}
	e.noteMovedAside()
	return err
}

// noteMovedAside reports a corrupt auth.json that a write met and moved
// aside: the login just saved is fine, but what the file held is in the
// backup.
func (e *Engine) noteMovedAside() {
	if ce := e.store.TakeCorrupt(); ce != nil {
		e.log.Warn("auth.json could not be parsed and was moved aside", zap.String("backup", ce.Backup))
		e.mu.Lock()
		e.corrupt = fmt.Sprintf("auth.json could not be parsed and was moved aside to %s; what else it held (other tools' logins) is there.", ce.Backup)
		e.mu.Unlock()
	}
}

// locked runs fn under auth.json's cross-process lock, waiting for it while
// ctx and the engine live.
func (e *Engine) locked(ctx context.Context, fn func() error) error {
	// Longer than another process may hold it for a refresh, so that a
	// finished login is not dropped.
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	stop := context.AfterFunc(e.ctx, cancel)
	defer stop()
	unlock, err := e.store.Lock(ctx)
	if err != nil {
		return fmt.Errorf("lock auth.json: %w", err)
	}
	defer unlock()
	return fn()
}

// credential returns what the next upstream request authenticates with,
// refreshing an OAuth token that is about to expire.
func (e *Engine) credential(ctx context.Context) (auth.Credential, error) {
	cred, err := e.tokens.Token(ctx)
	if err == nil {
		return cred, nil
	}
	if errors.Is(err, auth.ErrNoCredential) && e.cfg.EnvAPIKey != "" {
		return auth.Credential{Type: "api", Key: e.cfg.EnvAPIKey}, nil
	}
	e.noteCorrupt(err)
	return auth.Credential{}, e.authError(ctx, err)
}

// authError maps a failure to get or refresh a credential.
func (e *Engine) authError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, auth.ErrNoCredential), errors.Is(err, auth.ErrCorrupt):
		e.mu.Lock()
		corrupt := e.corrupt
		e.mu.Unlock()
		if corrupt != "" {
			return &AuthRequiredError{Cause: AuthUnusable, Reason: "deckhand is not logged in to OpenAI: " + corrupt, Methods: Methods()}
		}
		return &AuthRequiredError{
			Cause:   AuthNotLoggedIn,
			Reason:  "deckhand is not logged in to OpenAI: log in with ChatGPT Plus/Pro or an API key.",
			Methods: Methods(),
		}
	case errors.Is(err, auth.ErrUnusableEntry):
		return &AuthRequiredError{Cause: AuthUnusable, Reason: unusableMessage(err), Methods: Methods()}
	case errors.Is(err, auth.ErrReauth):
		return &AuthRequiredError{
			Cause:   AuthExpired,
			Reason:  "Your ChatGPT login has expired and could not be refreshed: log in again.",
			Methods: Methods(),
		}
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, auth.ErrRefreshBusy):
		return &UpstreamError{Detail: err.Error(),
			Message: "Another deckhand process is refreshing the ChatGPT login and has not finished; try again in a moment."}
	default:
		return &UpstreamError{Detail: err.Error(),
			Message: "deckhand could not refresh the ChatGPT login: OpenAI's sign-in service did not answer as expected; check the network and try again."}
	}
}

// unauthorized is the error for a credential the model service refused.
func unauthorized(cred auth.Credential) error {
	if cred.Type == "oauth" {
		return &AuthRequiredError{Cause: AuthRefused, Reason: "The ChatGPT login was refused even after a refresh: log in again.", Methods: Methods()}
	}
	return &AuthRequiredError{Cause: AuthRefused, Reason: "The OpenAI API key was refused (401): enter a valid key.", Methods: Methods()}
}

// unusableMessage says why the stored openai entry cannot be used, without
// the wrapping of the layers it came through.
func unusableMessage(err error) string {
	for {
		inner := errors.Unwrap(err)
		if inner == nil || !errors.Is(inner, auth.ErrUnusableEntry) || inner == auth.ErrUnusableEntry {
			return sentence(err.Error())
		}
		err = inner
	}
}
