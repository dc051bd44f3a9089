package engine

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"

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

// service builds a Responses client for one request, with explicit options
// only: openai.NewClient would read OPENAI_* variables and send them on.
func (e *Engine) service(cred auth.Credential, sessionID string) responses.ResponseService {
	base := e.cfg.APIBaseURL
	if cred.Type == "oauth" {
		base = e.cfg.CodexBaseURL
	}
	return responses.NewResponseService(
		option.WithBaseURL(base),
		option.WithHTTPClient(e.cfg.HTTPClient),
		option.WithMaxRetries(0), // the turn loop retries, and knows when not to
		option.WithHeader("Accept", "text/event-stream"),
		option.WithMiddleware(e.authMiddleware(cred, sessionID)),
	)
}

// authMiddleware sets the headers of the branch on every request, and keeps a
// copy of an error answer's body for the error mapping.
func (e *Engine) authMiddleware(cred auth.Credential, sessionID string) option.Middleware {
	return func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		for k := range req.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-stainless") {
				req.Header.Del(k)
			}
		}
		req.Header.Set("User-Agent", userAgent(e.cfg.Version))
		if cred.Type == "oauth" {
			req.Header.Set("Authorization", "Bearer "+cred.Access)
			if cred.AccountID != "" {
				req.Header.Set("ChatGPT-Account-Id", cred.AccountID)
			}
			req.Header.Set("originator", Originator)
			if sessionID != "" {
				req.Header.Set("session_id", sessionID)
			}
		} else {
			req.Header.Set("Authorization", "Bearer "+cred.Key)
		}
		resp, err := next(req)
		if err != nil || resp.StatusCode < 400 {
			return resp, err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if c, ok := req.Context().Value(capturedKey{}).(*captured); ok {
			c.status, c.header, c.body = resp.StatusCode, resp.Header.Clone(), body
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
	req.Header.Set("User-Agent", userAgent(e.cfg.Version))
	if cred.Type == "oauth" {
		req.Header.Set("Authorization", "Bearer "+cred.Access)
		req.Header.Set("originator", Originator)
		if cred.AccountID != "" {
			req.Header.Set("ChatGPT-Account-Id", cred.AccountID)
		}
	} else {
		req.Header.Set("Authorization", "Bearer "+cred.Key)
	}
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
