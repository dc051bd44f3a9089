package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DeviceLifetime is how long the issuer keeps a device code; callers give
// WaitDevice a context with this deadline.
const DeviceLifetime = 15 * time.Minute

const (
	defaultDeviceInterval = 5 * time.Second
	minDeviceInterval     = time.Second
	slowDownStep          = 5 * time.Second
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
// authorization code for tokens. It ends with ErrDeviceExpired (the issuer
// says so, or ctx's deadline passed), ErrDeviceDenied, ErrCancelled (ctx was
// cancelled; ctx.Err() is wrapped too) or a *TokenError.
func (c *Client) WaitDevice(ctx context.Context, dc DeviceCode) (Tokens, error) {
	interval := dc.Interval
	if interval <= 0 {
		interval = defaultDeviceInterval
	}
	interval = max(interval, minDeviceInterval)
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		res, err := c.pollDevice(ctx, dc)
		if err != nil {
			if ctx.Err() != nil {
				return Tokens{}, deviceCtxErr(ctx)
			}
			return Tokens{}, err
		}
		if res.code != "" {
			tok, err := c.ExchangeCode(ctx, res.code, c.issuer()+"/deviceauth/callback", res.verifier)
			if err != nil && ctx.Err() != nil {
				return Tokens{}, deviceCtxErr(ctx)
			}
			return tok, err
		}
		if res.slowDown {
			interval += slowDownStep
		}
		timer.Reset(interval)
		select {
		case <-ctx.Done():
			return Tokens{}, deviceCtxErr(ctx)
		case <-timer.C:
		}
	}
}

type devicePoll struct {
	code, verifier string // set once approved
	slowDown       bool
}

// pollDevice asks once. Pending answers (403/404, or an RFC 8628 pending or
// slow_down code) return an empty result and no error.
func (c *Client) pollDevice(ctx context.Context, dc DeviceCode) (devicePoll, error) {
	body, _ := json.Marshal(map[string]string{"device_auth_id": dc.ID, "user_code": dc.UserCode})
	status, data, err := c.post(ctx, "/api/accounts/deviceauth/token", "application/json", body)
	if err != nil {
		return devicePoll{}, fmt.Errorf("device login: %w", err)
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
	te := parseTokenError("device login", status, data)
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
