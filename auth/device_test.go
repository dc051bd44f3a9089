package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStartDevice(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		code     string
		interval time.Duration
	}{
		{"interval as string", `{"device_auth_id":"d","user_code":"U-1","interval":"7"}`, "U-1", 7 * time.Second},
		{"interval as number", `{"device_auth_id":"d","user_code":"U-1","interval":3}`, "U-1", 3 * time.Second},
		{"usercode alias, no interval", `{"device_auth_id":"d","usercode":"U-2"}`, "U-2", 5 * time.Second},
		{"unreadable interval", `{"device_auth_id":"d","user_code":"U-3","interval":"soon"}`, "U-3", 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIssuer(t)
			f.onUsercode = func() (int, string) { return 200, tt.body }
			dc, err := f.client().StartDevice(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if dc.ID != "d" || dc.UserCode != tt.code || dc.Interval != tt.interval {
				t.Errorf("device code = %+v", dc)
			}
			if want := f.srv.URL + "/codex/device"; dc.VerificationURL != want {
				t.Errorf("VerificationURL = %q, want %q", dc.VerificationURL, want)
			}
			if got := f.jsonReqs[0]["client_id"]; got != ClientID {
				t.Errorf("client_id sent = %q", got)
			}
		})
	}
}

func TestStartDeviceFailures(t *testing.T) {
	f := newFakeIssuer(t)
	f.onUsercode = func() (int, string) { return 404, `{"error":"not_found"}` }
	_, err := f.client().StartDevice(context.Background())
	if !errors.Is(err, ErrDeviceLoginDisabled) {
		t.Fatalf("404: err = %v, want ErrDeviceLoginDisabled", err)
	}
	if !strings.Contains(err.Error(), "Settings > Security") || !strings.Contains(err.Error(), "browser") {
		t.Errorf("message does not say what to do: %q", err)
	}

	f.onUsercode = func() (int, string) { return 500, `{"error":"server_error"}` }
	var te *TokenError
	if _, err := f.client().StartDevice(context.Background()); !errors.As(err, &te) || te.Status != 500 {
		t.Errorf("500: err = %v, want *TokenError 500", err)
	}
	f.onUsercode = func() (int, string) { return 200, `{"interval":"5"}` }
	if _, err := f.client().StartDevice(context.Background()); err == nil {
		t.Error("answer without a code: no error")
	}
}

// startedDevice is a device code as StartDevice would give it, polling fast.
func startedDevice(t *testing.T, f *fakeIssuer) DeviceCode {
	t.Helper()
	dc, err := f.client().StartDevice(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if dc.Interval != time.Second {
		t.Fatalf("interval = %v", dc.Interval)
	}
	return dc
}

func TestWaitDeviceCompletes(t *testing.T) {
	t.Parallel()
	f := newFakeIssuer(t)
	f.onPoll = func(n int) (int, string) {
		switch n {
		case 1:
			return 403, `{"error":"deviceauth_authorization_pending"}`
		case 2:
			return 404, ``
		}
		return 200, `{"authorization_code":"dev-code","code_challenge":"x","code_verifier":"dev-verifier"}`
	}
	dc := startedDevice(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tok, err := f.client().WaitDevice(ctx, dc)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "access-x1" {
		t.Errorf("tokens = %+v", tok)
	}
	if got := f.polls.Load(); got != 3 {
		t.Errorf("%d polls, want 3", got)
	}
	for _, req := range f.jsonReqs[1:] {
		if req["device_auth_id"] != "dev-1" || req["user_code"] != "ABCD-1234" || len(req) != 2 {
			t.Errorf("poll body = %v", req)
		}
	}
	form := f.tokenForms()[0]
	if form.Get("code") != "dev-code" || form.Get("code_verifier") != "dev-verifier" ||
		form.Get("redirect_uri") != f.srv.URL+"/deviceauth/callback" || form.Get("grant_type") != "authorization_code" {
		t.Errorf("exchange form = %v", form)
	}
}

func TestWaitDeviceEnds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		want    error
		notWant error
	}{
		{"denied", 400, `{"error":"access_denied"}`, ErrDeviceDenied, ErrDeviceExpired},
		{"denied code on 403", 403, `{"error":{"code":"deviceauth_denied"}}`, ErrDeviceDenied, nil},
		{"expired_token", 400, `{"error":"expired_token"}`, ErrDeviceExpired, ErrDeviceDenied},
		{"deviceauth_expired on 403", 403, `{"error":"deviceauth_expired"}`, ErrDeviceExpired, nil},
		{"other status", 400, `{"error":"invalid_request"}`, nil, ErrDeviceExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeIssuer(t)
			f.onPoll = func(int) (int, string) { return tt.status, tt.body }
			dc := startedDevice(t, f)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := f.client().WaitDevice(ctx, dc)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil {
				var te *TokenError
				if !errors.As(err, &te) || te.Status != tt.status {
					t.Errorf("err = %v, want *TokenError %d", err, tt.status)
				}
			}
			if tt.notWant != nil && errors.Is(err, tt.notWant) {
				t.Errorf("err = %v is also %v", err, tt.notWant)
			}
			if len(f.tokenForms()) != 0 {
				t.Error("exchanged a code anyway")
			}
		})
	}
}

func TestWaitDeviceDeadline(t *testing.T) {
	t.Parallel()
	f := newFakeIssuer(t) // always pending
	dc := startedDevice(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := f.client().WaitDevice(ctx, dc)
	if !errors.Is(err, ErrDeviceExpired) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want ErrDeviceExpired and DeadlineExceeded", err)
	}
	if errors.Is(err, ErrCancelled) {
		t.Errorf("deadline reported as a cancel: %v", err)
	}
}

func TestWaitDeviceCancelled(t *testing.T) {
	t.Parallel()
	f := newFakeIssuer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.onPoll = func(int) (int, string) {
		cancel() // the user gave up while the first poll was answered
		return 403, `{"error":"deviceauth_authorization_pending"}`
	}
	dc := startedDevice(t, f)
	_, err := f.client().WaitDevice(ctx, dc)
	if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want ErrCancelled and context.Canceled", err)
	}
	if errors.Is(err, ErrDeviceExpired) {
		t.Errorf("cancel reported as expiry: %v", err)
	}
}
