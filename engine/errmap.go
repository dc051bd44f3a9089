package engine

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// retryable marks a failure worth another attempt of the same step: a 5xx, a
// broken or idle stream.
type retryable struct{ err error }

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// errUnauthorized: the upstream refused the credential (401).
var errUnauthorized = errors.New("the model service refused the login (401)")

// upstreamBody is the union of the error bodies the two branches send.
type upstreamBody struct {
	Detail json.RawMessage `json:"detail"`
	Error  *bodyError      `json:"error"`
	// Stream error events put these at the top level.
	Code    string `json:"code"`
	Message string `json:"message"`
	// A response.failed event carries the error inside the response.
	Response *struct {
		Error *bodyError `json:"error"`
	} `json:"response"`
}

type bodyError struct {
	Type            string          `json:"type"`
	Code            json.RawMessage `json:"code"`
	Message         string          `json:"message"`
	ResetsAt        json.Number     `json:"resets_at"`
	ResetsInSeconds json.Number     `json:"resets_in_seconds"`
}

// facts pulls what the mapping needs out of an error body.
type facts struct {
	code, message   string
	resetsAt        time.Time
	resetsInSeconds int
}

func parseBody(body []byte) facts {
	var b upstreamBody
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil {
		return facts{message: plainText(body)}
	}
	f := facts{code: b.Code, message: b.Message}
	be := b.Error
	if be == nil && b.Response != nil {
		be = b.Response.Error
	}
	if be != nil {
		var code string
		if json.Unmarshal(be.Code, &code) != nil {
			code = strings.Trim(string(be.Code), `"`)
		}
		f.code = firstNonEmpty(code, be.Type, f.code)
		if be.Type == "usage_limit_reached" || be.Type == "usage_not_included" {
			f.code = be.Type
		}
		f.message = firstNonEmpty(be.Message, f.message)
		if n, err := be.ResetsAt.Int64(); err == nil && n > 0 {
			f.resetsAt = time.Unix(n, 0)
		}
		if n, err := be.ResetsInSeconds.Int64(); err == nil && n > 0 {
			f.resetsInSeconds = int(n)
		}
	}
	if len(b.Detail) > 0 {
		var s string
		if json.Unmarshal(b.Detail, &s) == nil {
			f.message = firstNonEmpty(f.message, s)
		} else {
			f.message = firstNonEmpty(f.message, string(b.Detail))
		}
	}
	return f
}

// plainText keeps the first line of a body that is not JSON, when it reads as
// a message; an HTML page (a proxy's or a gateway's) says nothing useful.
func plainText(body []byte) string {
	s := strings.TrimSpace(string(body))
	if strings.HasPrefix(s, "<") {
		return ""
	}
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = cut(s, 200) + "…"
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// classify maps an upstream failure (an HTTP status with its body, or a
// stream's error event with status 0) to the engine's errors.
func classify(model string, status int, header http.Header, body []byte) error {
	f := parseBody(body)
	all := strings.ToLower(f.code + " " + f.message)
	switch {
	case strings.Contains(all, "usage_not_included"):
		return &UsageNotIncludedError{}
	case strings.Contains(all, "usage_limit_reached") || status == http.StatusTooManyRequests ||
		strings.Contains(all, "rate_limit") || strings.Contains(all, "insufficient_quota"):
		return rateLimit(f, header)
	case status == http.StatusUnauthorized:
		return errUnauthorized
	case strings.Contains(all, "context_length_exceeded") || status == http.StatusRequestEntityTooLarge:
		return &UpstreamError{Status: status, Detail: firstNonEmpty(f.message, "context_length_exceeded"),
			Message: "The conversation no longer fits in the model's context window: start a new session, or pick a model with a larger window."}
	case strings.Contains(all, "model") && strings.Contains(all, "requires a newer version"):
		return &ModelNotServedError{Model: model, Detail: f.message, NewerClient: true}
	case strings.Contains(all, "model") && (strings.Contains(all, "not supported") || strings.Contains(all, "does not exist") ||
		strings.Contains(all, "model not found") || strings.Contains(all, "model_not_found") || strings.Contains(all, "unsupported_model")):
		return &ModelNotServedError{Model: model, Detail: f.message}
	case status >= 500 || status == http.StatusRequestTimeout || status == http.StatusConflict:
		return &retryable{&UpstreamError{Status: status, Detail: firstNonEmpty(f.message, http.StatusText(status))}}
	case status == 0 && isServerCode(f.code):
		return &retryable{&UpstreamError{Detail: firstNonEmpty(f.message, f.code)}}
	default:
		detail := firstNonEmpty(f.message, f.code, http.StatusText(status))
		return &UpstreamError{Status: status, Detail: detail, Message: "The model service refused the request: " + detail}
	}
}

func isServerCode(code string) bool {
	switch code {
	case "", "server_error", "internal_error", "server_is_overloaded", "slow_down", "overloaded":
		return true
	}
	return false
}

// rateLimit reads when a limit resets from the body, then the headers.
func rateLimit(f facts, h http.Header) error {
	e := &RateLimitError{Message: "The usage or rate limit of this login has been reached"}
	if f.message != "" {
		e.Message = strings.TrimRight(f.message, ". ")
	}
	e.ResetsAt = f.resetsAt
	if f.resetsInSeconds > 0 {
		e.RetryAfter = time.Duration(f.resetsInSeconds) * time.Second
	}
	// "Please try again in 20s." / "in 1.5 seconds" / "in 300ms": the message
	// says when, the fields must too, and the message must not say it twice.
	if m := tryAgainIn().FindStringSubmatch(e.Message); m != nil {
		if e.RetryAfter == 0 {
			n, _ := strconv.ParseFloat(m[1], 64)
			unit := time.Second
			if m[2] == "ms" {
				unit = time.Millisecond
			}
			e.RetryAfter = time.Duration(n * float64(unit))
		}
		e.Message = strings.TrimSpace(strings.TrimRight(tryAgainTail().ReplaceAllString(e.Message, ""), ". "))
	}
	if h != nil {
		if e.ResetsAt.IsZero() {
			for _, k := range []string{"X-Codex-Primary-Reset-At", "X-Codex-Secondary-Reset-At"} {
				if t, ok := parseTime(h.Get(k)); ok {
					e.ResetsAt = t
					break
				}
			}
		}
		if e.RetryAfter == 0 {
			if ms, err := strconv.Atoi(h.Get("Retry-After-Ms")); err == nil && ms > 0 {
				e.RetryAfter = time.Duration(ms) * time.Millisecond
			} else if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s > 0 {
				e.RetryAfter = time.Duration(s) * time.Second
			}
		}
	}
	if e.RetryAfter == 0 && !e.ResetsAt.IsZero() {
		if d := time.Until(e.ResetsAt); d > 0 {
			e.RetryAfter = d.Round(time.Second)
		}
	}
	if e.ResetsAt.IsZero() && e.RetryAfter > 0 {
		e.ResetsAt = time.Now().Add(e.RetryAfter).Truncate(time.Second)
	}
	return e
}

// Compiled on the first rate-limit answer, not at startup.
var (
	tryAgainIn   = lazyRegexp(`(?i)try again in (\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?)\b`)
	tryAgainTail = lazyRegexp(`(?i)[.,;]?\s*(please\s+)?try again in [^.]*\.?\s*$`)
)

// lazyRegexp compiles expr on first use: package init runs before
// initialize can answer, and most of a run never needs these.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// parseTime reads a time as Unix seconds or RFC 3339.
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0), true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}
