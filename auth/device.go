package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
)

// DeviceLifetime is how long the issuer keeps a device code; callers give
// WaitDevice a context with this deadline.
const DeviceLifetime = 15 * time.Minute

const (
	defaultDeviceInterval = 5 * time.Second
	minDeviceInterval     = time.Second
	slowDownStep          = 5 * time.Second
	// maxDeviceBackoff caps the pause after polls that failed for a passing
	// reason (network, 429, 5xx).
	maxDeviceBackoff = 30 * time.Second
)

// DeviceCode is a started headless login: the user opens VerificationURL,
// enters UserCode, and WaitDevice polls every Interval.
type DeviceCode struct {
	ID              string
	UserCode        string
	VerificationURL string
	Interval        time.Duration
}

// StartDevice asks the issuer for a user code. A 404 means the account has
// not enabled device-code login: ErrDeviceLoginDisabled.
func (c *Client) StartDevice(ctx context.Context) (DeviceCode, error) {
	body, _ := json.Marshal(map[string]string{"client_id": ClientID})
	status, data, err := c.post(ctx, "/api/accounts/deviceauth/usercode", "application/json", body)
	if err != nil {
		return DeviceCode{}, fmt.Errorf("start device login: %w", err)
	}
	switch {
	case status == http.StatusNotFound:
		return DeviceCode{}, fmt.Errorf("start device login: %w", ErrDeviceLoginDisabled)
	case status/100 != 2:
		return DeviceCode{}, parseTokenError("start device login", status, data)
	}
	var raw struct {
		ID       string          `json:"device_auth_id"`
		UserCode string          `json:"user_code"`
		Usercode string          `json:"usercode"`
		Interval json.RawMessage `json:"interval"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return DeviceCode{}, fmt.Errorf("start device login: the OpenAI login server sent an unreadable answer; try again")
	}
	if raw.UserCode == "" {
		raw.UserCode = raw.Usercode
	}
	if raw.ID == "" || raw.UserCode == "" {
		return DeviceCode{}, fmt.Errorf("start device login: the OpenAI login server sent no device code; try again or use the browser method")
	}
	interval := defaultDeviceInterval
	if secs, ok := flexInt(raw.Interval); ok && secs > 0 {
		interval = time.Duration(secs) * time.Second
	}
	return DeviceCode{
		ID:              raw.ID,
		UserCode:        raw.UserCode,
		VerificationURL: c.issuer() + "/codex/device",
		Interval:        max(interval, minDeviceInterval),
	}, nil
}

// WaitDevice polls until the user approves the code, then exchanges the
// authorization code for tokens. A poll that fails for a passing reason (a
// network error, HTTP 429 or 5xx) is retried after a growing pause, until
// ctx's deadline. It ends with ErrDeviceExpired (the issuer says so, or ctx's
// deadline passed), ErrDeviceDenied, ErrCancelled (ctx was cancelled;
// ctx.Err() is wrapped too) or a *TokenError.
func (c *Client) WaitDevice(ctx context.Context, dc DeviceCode) (Tokens, error) {
	interval := dc.Interval
	if interval <= 0 {
		interval = defaultDeviceInterval
	}
	interval = max(interval, minDeviceInterval)
	timer := time.NewTimer(interval)
	defer timer.Stop()
	failures := 0
	var lastFailure error // of the failed polls in a row, the last
	for {
		res, err := c.pollDevice(ctx, dc)
		if (err != nil || res.retry != nil) && ctx.Err() != nil {
			return Tokens{}, deviceCtxErr(ctx) // the failure was the context's
		}
		if err != nil {
			return Tokens{}, err
		}
		if res.code != "" {
			tok, err := c.ExchangeCode(ctx, res.code, c.issuer()+"/deviceauth/callback", res.verifier)
			if err != nil && ctx.Err() != nil {
				return Tokens{}, deviceCtxErr(ctx)
			}
			return tok, err
		}
		wait := interval
		switch {
		case res.retry != nil:
			failures++
			lastFailure = res.retry
			wait = deviceBackoff(interval, failures)
			c.log().Warn("device login poll failed; retrying",
				zap.Error(res.retry), zap.Int("failures", failures), zap.Duration("retryIn", wait))
		case res.slowDown:
			failures, lastFailure = 0, nil
			interval += slowDownStep
			wait = interval
		default:
			failures, lastFailure = 0, nil
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			if lastFailure != nil {
				return Tokens{}, fmt.Errorf("%w; the last poll failed: %v", deviceCtxErr(ctx), lastFailure)
			}
			return Tokens{}, deviceCtxErr(ctx)
		case <-timer.C:
		}
	}
}

// deviceBackoff is the pause after the failures-th failed poll in a row: the
// interval, doubled for each further failure, at most maxDeviceBackoff (or
// the interval, if the issuer asked for more).
func deviceBackoff(interval time.Duration, failures int) time.Duration {
	limit := max(maxDeviceBackoff, interval)
	wait := interval
	for i := 1; i < failures && wait < limit; i++ {
		wait *= 2
	}
	return min(wait, limit)
}

type devicePoll struct {
	code, verifier string // set once approved
	slowDown       bool
	retry          error // a passing failure: poll again later
}

// pollDevice asks once. Pending answers (403/404, or an RFC 8628 pending or
// slow_down code) return an empty result and no error; passing failures
// (network errors, 429, 5xx) return the failure in retry and no error.
func (c *Client) pollDevice(ctx context.Context, dc DeviceCode) (devicePoll, error) {
	body, _ := json.Marshal(map[string]string{"device_auth_id": dc.ID, "user_code": dc.UserCode})
	status, data, err := c.post(ctx, "/api/accounts/deviceauth/token", "application/json", body)
	if err != nil {
		return devicePoll{retry: fmt.Errorf("device login: %w", err)}, nil
	}
	if status/100 == 2 {
		var raw struct {
			Code     string `json:"authorization_code"`
			Verifier string `json:"code_verifier"`
		}
		if json.Unmarshal(data, &raw) != nil || raw.Code == "" || raw.Verifier == "" {
			return devicePoll{}, fmt.Errorf("device login: the OpenAI login server approved the code but sent no authorization code; start the login again")
		}
		return devicePoll{code: raw.Code, verifier: raw.Verifier}, nil
	}
	te := parseTokenError("device login", status, data, dc.ID, dc.UserCode)
	code := strings.ToLower(te.Code)
	switch {
	case strings.Contains(code, "expired"):
		return devicePoll{}, fmt.Errorf("device login: %w", ErrDeviceExpired)
	case strings.Contains(code, "denied"):
		return devicePoll{}, fmt.Errorf("device login: %w", ErrDeviceDenied)
	case code == "slow_down":
		return devicePoll{slowDown: true}, nil
	case status == http.StatusForbidden, status == http.StatusNotFound, strings.Contains(code, "pending"):
		return devicePoll{}, nil
	case status == http.StatusTooManyRequests, status >= 500:
		return devicePoll{retry: te}, nil
	}
	return devicePoll{}, te
}

// deviceCtxErr tells a passed deadline (the code's lifetime is over) from a
// cancellation.
func deviceCtxErr(ctx context.Context) error {
	err := ctx.Err()
	if dl, ok := ctx.Deadline(); errors.Is(err, context.DeadlineExceeded) || (ok && !time.Now().Before(dl)) {
		return fmt.Errorf("device login: %w (%w)", ErrDeviceExpired, err)
	}
	return fmt.Errorf("device login: %w (%w)", ErrCancelled, err)
}
