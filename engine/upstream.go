package engine

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/deckhand-dev/deckhand/auth"
)

// captured holds the start of an error answer's body: openai-go keeps only
// the "error" object of a body, and ChatGPT's backend answers {"detail": …}.
type captured struct {
	status int
	header http.Header
	body   []byte
}

type capturedKey struct{}

// maxErrorBody bounds how much of an error body is kept.
const maxErrorBody = 64 << 10

// turnState is the sticky-routing token of one turn: the backend may answer
// with x-codex-turn-state, and the later requests of the same turn echo it.
type turnState struct {
	mu    sync.Mutex
	value string
}

func (s *turnState) get() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.value
}

func (s *turnState) remember(v string) {
	if s == nil || v == "" {
		return
	}
	s.mu.Lock()
	s.value = v
	s.mu.Unlock()
}

// headerTurnState is the backend's sticky-routing header.
const headerTurnState = "x-codex-turn-state"

// service builds a Responses client for one request, with explicit options
// only: openai.NewClient would read OPENAI_* variables and send them on.
// sticky (nil outside a turn) carries the turn's routing token.
func (e *Engine) service(cred auth.Credential, sessionID string, sticky ...*turnState) responses.ResponseService {
	var st *turnState
	if len(sticky) > 0 {
		st = sticky[0]
	}
	base := e.cfg.APIBaseURL
	if cred.Type == "oauth" {
		base = e.cfg.CodexBaseURL
	}
	return responses.NewResponseService(
		option.WithBaseURL(base),
		option.WithHTTPClient(e.cfg.HTTPClient),
		option.WithMaxRetries(0), // the turn loop retries, and knows when not to
		option.WithHeader("Accept", "text/event-stream"),
		option.WithMiddleware(e.authMiddleware(cred, sessionID, st)),
		option.WithMiddleware(capStream),
	)
}

// authMiddleware sets the headers of the branch on every request, and keeps a
// copy of an error answer's body for the error mapping.
func (e *Engine) authMiddleware(cred auth.Credential, sessionID string, sticky *turnState) option.Middleware {
	return func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		for k := range req.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-stainless") {
				req.Header.Del(k)
			}
		}
		e.setIdentity(req.Header, cred)
		if cred.Type == "oauth" {
			if sessionID != "" {
				// The official client names the conversation three ways.
				req.Header.Set("session-id", sessionID)
				req.Header.Set("thread-id", sessionID)
				req.Header.Set("x-client-request-id", sessionID)
			}
			if v := sticky.get(); v != "" {
				req.Header.Set(headerTurnState, v)
			}
		}
		resp, err := next(req)
		if err == nil && cred.Type == "oauth" {
			sticky.remember(resp.Header.Get(headerTurnState))
		}
		c, _ := req.Context().Value(capturedKey{}).(*captured)
		if err == nil && c != nil {
			c.header = resp.Header.Clone() // the rate-limit headers, on every answer
		}
		if err != nil || resp.StatusCode < 400 {
			return resp, err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if c != nil {
			c.status, c.body = resp.StatusCode, body
		}
		return resp, nil
	}
}

// get performs a GET on the login's branch (model catalogs) and returns the
// body of a 200 answer.
func (e *Engine) get(ctx context.Context, cred auth.Credential, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	e.setIdentity(req.Header, cred)
	resp, err := e.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &UpstreamError{Status: resp.StatusCode, Detail: http.StatusText(resp.StatusCode)}
	}
	return body, nil
}

// setIdentity sets who is asking, on either branch: the credential, and on
// the ChatGPT branch the account and originator; on the API-key branch the
// organization and project the user chose (never sent to ChatGPT, whose
// token already names the account).
//
// On the ChatGPT branch every request also says which Codex wire version
// it speaks (`version`; the backend gates each model on it), and the
// User-Agent is the official shape with the originator's name and that
// version.
func (e *Engine) setIdentity(h http.Header, cred auth.Credential) {
	h.Set("User-Agent", userAgent(e.cfg.Version))
	if cred.Type == "oauth" {
		h.Set("User-Agent", agentFor(e.cfg.Originator, e.wireVersion()))
		h.Set("version", e.wireVersion())
		h.Set("Authorization", "Bearer "+cred.Access)
		if cred.AccountID != "" {
			h.Set("ChatGPT-Account-Id", cred.AccountID)
		}
		h.Set("originator", e.cfg.Originator)
		return
	}
	h.Set("Authorization", "Bearer "+cred.Key)
	if e.cfg.Organization != "" {
		h.Set("OpenAI-Organization", e.cfg.Organization)
	}
	if e.cfg.Project != "" {
		h.Set("OpenAI-Project", e.cfg.Project)
	}
}
