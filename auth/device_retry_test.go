package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// A passing failure while polling (5xx, 429, a dropped connection) does not
// end a device login that still has time: polling goes on.
func TestWaitDeviceRetriesPassingFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"502", 502, `<html>bad gateway</html>`},
		{"503 json", 503, `{"error":"server_error","error_description":"dev-1 overloaded"}`},
		{"429", 429, `{"error":"rate_limited"}`},
		{"dropped connection", -1, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeIssuer(t)
			f.onPoll = func(n int) (int, string) {
				switch n {
				case 1, 3:
					return 403, `{"error":"deviceauth_authorization_pending"}`
				case 2:
					return tt.status, tt.body
				}
				return 200, `{"authorization_code":"dev-code","code_verifier":"dev-verifier"}`
			}
			dc := startedDevice(t, f)
			core, logs := observer.New(zapcore.DebugLevel)
			c := f.client()
			c.Log = zap.New(core)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			tok, err := c.WaitDevice(ctx, dc)
			if err != nil {
				t.Fatalf("after a passing %s: %v", tt.name, err)
			}
			if tok.AccessToken != "access-x1" || f.polls.Load() != 4 {
				t.Errorf("tokens %+v after %d polls, want 4", tok, f.polls.Load())
			}
			if warns := logs.FilterLevelExact(zapcore.WarnLevel).Len(); warns != 1 {
				t.Errorf("%d warnings logged, want 1", warns)
			}
			checkLogs(t, logs, "dev-1", "dev-code", "dev-verifier", "access-x1", "refresh-x1")
		})
	}
}

// Failures that go on until the code's lifetime ends report the expiry and
// the last failure.
func TestWaitDeviceFailingUntilDeadline(t *testing.T) {
	t.Parallel()
	f := newFakeIssuer(t)
	f.onPoll = func(int) (int, string) { return 500, `{"error":"server_error"}` }
	dc := startedDevice(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err := f.client().WaitDevice(ctx, dc)
	if !errors.Is(err, ErrDeviceExpired) {
		t.Errorf("err = %v, want ErrDeviceExpired", err)
	}
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("err = %v does not tell the last failure", err)
	}
	if f.polls.Load() < 1 {
		t.Error("never polled")
	}
}

func TestDeviceBackoff(t *testing.T) {
	tests := []struct {
		interval time.Duration
		failures int
		want     time.Duration
	}{
		{5 * time.Second, 1, 5 * time.Second},
		{5 * time.Second, 2, 10 * time.Second},
		{5 * time.Second, 3, 20 * time.Second},
		{5 * time.Second, 4, 30 * time.Second},
		{5 * time.Second, 50, 30 * time.Second},
		{time.Second, 3, 4 * time.Second},
		{45 * time.Second, 1, 45 * time.Second}, // the issuer's slow_down wins over the cap
		{45 * time.Second, 3, 45 * time.Second},
	}
	for _, tt := range tests {
		if got := deviceBackoff(tt.interval, tt.failures); got != tt.want {
			t.Errorf("deviceBackoff(%v, %d) = %v, want %v", tt.interval, tt.failures, got, tt.want)
		}
	}
}
