package engine

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	resets := time.Unix(1900000000, 0)
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
		check  func(t *testing.T, err error)
	}{
		{"usage not included in error.type", 403, nil, `{"error":{"type":"usage_not_included","message":"x"}}`, is[*UsageNotIncludedError]},
		{"usage not included in detail", 400, nil, `{"detail":"usage_not_included"}`, is[*UsageNotIncludedError]},
		{"usage limit with resets_at", 429, nil, `{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_at":1900000000}}`,
			func(t *testing.T, err error) {
				var r *RateLimitError
				if !errors.As(err, &r) || !r.ResetsAt.Equal(resets) {
					t.Errorf("%v", err)
				}
			}},
		{"429 with retry-after", 429, http.Header{"Retry-After": {"7"}}, `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`,
			func(t *testing.T, err error) {
				var r *RateLimitError
				if !errors.As(err, &r) || r.RetryAfter != 7*time.Second {
					t.Errorf("%v", err)
				}
			}},
		{"401", 401, nil, `{"detail":"Could not validate your token."}`, func(t *testing.T, err error) {
			if !errors.Is(err, errUnauthorized) {
				t.Errorf("%v", err)
			}
		}},
		{"5xx retryable", 503, nil, `upstream connect error`, is[*retryable]},
		{"stream server_error retryable", 0, nil, `{"type":"response.failed","response":{"error":{"code":"server_error","message":"boom"}}}`, is[*retryable]},
		{"invalid prompt final", 0, nil, `{"type":"error","code":"invalid_prompt","message":"bad"}`, func(t *testing.T, err error) {
			var r *retryable
			var u *UpstreamError
			if errors.As(err, &r) || !errors.As(err, &u) || u.Detail != "bad" {
				t.Errorf("%v", err)
			}
		}},
		{"context length", 400, nil, `{"error":{"code":"context_length_exceeded","message":"too long"}}`, func(t *testing.T, err error) {
			// The generic refusal has a Message too: the advice is what
			// this case adds, and it must not be retried.
			var u *UpstreamError
			var r *retryable
			if !errors.As(err, &u) || !strings.Contains(u.Message, "context window") || u.Status != 400 || errors.As(err, &r) {
				t.Errorf("%#v, want the context-window advice", err)
			}
		}},
		{"model not supported", 400, nil, `{"detail":"The 'x' model is not supported when using Codex with a ChatGPT account."}`, func(t *testing.T, err error) {
			var m *ModelNotServedError
			if !errors.As(err, &m) || m.Model != "x" || !strings.Contains(m.Detail, "not supported when using Codex") {
				t.Errorf("%#v, want a ModelNotServedError naming x", err)
			}
		}},
		{"model not found (Lite model, standard request)", 404, nil, `{"detail":"Model not found x"}`, func(t *testing.T, err error) {
			var m *ModelNotServedError
			if !errors.As(err, &m) || m.Model != "x" || m.NewerClient {
				t.Errorf("%#v, want a ModelNotServedError naming x", err)
			}
		}},
		{"newer client required", 400, nil, `{"detail":"The 'x' model requires a newer version of Codex. Please upgrade to the latest app or CLI and try again."}`, func(t *testing.T, err error) {
			var m *ModelNotServedError
			if !errors.As(err, &m) || m.Model != "x" || !m.NewerClient {
				t.Errorf("%#v, want a ModelNotServedError asking for a newer client", err)
			}
		}},
		{"lite header refused", 400, nil, `{"detail":"This model is not supported when using X-OpenAI-Internal-Codex-Responses-Lite"}`, func(t *testing.T, err error) {
			var m *ModelNotServedError
			if !errors.As(err, &m) || m.Model != "x" {
				t.Errorf("%#v, want a ModelNotServedError naming x", err)
			}
		}},
		{"model does not exist (API)", 404, nil, `{"error":{"message":"The model 'x' does not exist or you do not have access to it.","type":"invalid_request_error","code":"model_not_found"}}`, func(t *testing.T, err error) {
			var m *ModelNotServedError
			if !errors.As(err, &m) || m.Model != "x" {
				t.Errorf("%#v, want a ModelNotServedError naming x", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, classify("x", tc.status, tc.header, []byte(tc.body)))
		})
	}
}

func is[T error](t *testing.T, err error) {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Errorf("got %T %v, want %T", err, err, target)
	}
}

func TestRateLimitTryAgainInMessage(t *testing.T) {
	err := classify("x", 429, nil, []byte(`{"error":{"message":"Rate limit reached for gpt-5 in organization org-x. Please try again in 20s.","type":"requests","code":"rate_limit_exceeded"}}`))
	var r *RateLimitError
	if !errors.As(err, &r) || r.RetryAfter != 20*time.Second {
		t.Fatalf("%v", err)
	}
	if msg := r.Error(); strings.Count(strings.ToLower(msg), "try again") != 1 || !strings.HasSuffix(msg, ".") {
		t.Errorf("message %q says when to try again more or less than once", msg)
	}
}
