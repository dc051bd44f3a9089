package upstreamtest

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// startDevice asks for a user code and returns the answer's fields.
func startDevice(t *testing.T, s *Server) (id, userCode, interval string) {
	t.Helper()
	a := postJSON(t, s, PathDeviceUserCode, map[string]string{"client_id": ClientID})
	if a.status != http.StatusOK {
		t.Fatalf("usercode: %d %s", a.status, a.body)
	}
	m := a.json(t)
	if _, isString := m["interval"].(string); !isString {
		t.Errorf("interval is %T, want a string as the real issuer sends", m["interval"])
	}
	return field(m, "device_auth_id"), field(m, "user_code"), field(m, "interval")
}

func pollDevice(t *testing.T, s *Server, id, userCode string) answer {
	t.Helper()
	return postJSON(t, s, PathDeviceToken, map[string]string{"device_auth_id": id, "user_code": userCode})
}

func TestDevicePendingApprovedExchange(t *testing.T) {
	s := newServer(t)
	id, code, interval := startDevice(t, s)
	if !regexp.MustCompile(`^[A-Z]{4}-[0-9]{4}$`).MatchString(code) || id == "" || interval != "1" {
		t.Fatalf("usercode answer: id %q code %q interval %q", id, code, interval)
	}
	if s.LastUserCode() != code {
		t.Errorf("LastUserCode = %q, want %q", s.LastUserCode(), code)
	}

	for range 2 {
		a := pollDevice(t, s, id, code)
		if a.status != http.StatusForbidden || field(a.json(t), "error", "code") != CodeDevicePending {
			t.Fatalf("pending poll: %d %s", a.status, a.body)
		}
	}
	if !s.ApproveDevice("") {
		t.Fatal("ApproveDevice found no pending code")
	}
	if s.ApproveDevice(code) {
		t.Error("ApproveDevice approved twice")
	}
	a := pollDevice(t, s, id, code)
	if a.status != http.StatusOK {
		t.Fatalf("approved poll: %d %s", a.status, a.body)
	}
	m := a.json(t)
	verifier, challenge, authCode := field(m, "code_verifier"), field(m, "code_challenge"), field(m, "authorization_code")
	if verifier == "" || authCode == "" || S256(verifier) != challenge {
		t.Fatalf("approved answer: %s", a.body)
	}

	// The code only exchanges with the device callback as redirect_uri.
	if a := postForm(t, s, PathToken, exchangeForm(authCode, testCallback, verifier)); a.status != http.StatusBadRequest {
		t.Errorf("exchange with the browser redirect: %d %s", a.status, a.body)
	}
	a = postForm(t, s, PathToken, exchangeForm(authCode, s.Issuer()+PathDeviceCallback, verifier))
	if a.status != http.StatusOK || field(a.json(t), "access_token") == "" {
		t.Fatalf("device exchange: %d %s", a.status, a.body)
	}
}

func TestDeviceDeniedExpiredDisabled(t *testing.T) {
	s := newServer(t)
	id1, code1, _ := startDevice(t, s)
	id2, code2, _ := startDevice(t, s)
	if code1 == code2 {
		t.Fatalf("two device logins share the code %q", code1)
	}
	if !s.DenyDevice(code1) || !s.ExpireDevice("") {
		t.Fatal("deny or expire found no pending code")
	}
	if a := pollDevice(t, s, id1, code1); a.status != http.StatusBadRequest || field(a.json(t), "error") != "access_denied" {
		t.Errorf("denied: %d %s", a.status, a.body)
	}
	if a := pollDevice(t, s, id2, code2); a.status != http.StatusBadRequest || field(a.json(t), "error") != "expired_token" {
		t.Errorf("expired: %d %s", a.status, a.body)
	}
	if a := pollDevice(t, s, id1, code2); a.status != http.StatusBadRequest {
		t.Errorf("mismatched id and code: %d %s", a.status, a.body)
	}

	s.SetDeviceLoginDisabled(true)
	a := postJSON(t, s, PathDeviceUserCode, map[string]string{"client_id": ClientID})
	if a.status != http.StatusNotFound || field(a.json(t), "error") != "not_found" {
		t.Errorf("disabled: %d %s", a.status, a.body)
	}
}

func TestDeviceUserCodeChecks(t *testing.T) {
	s := newServer(t)
	if a := postJSON(t, s, PathDeviceUserCode, map[string]string{"client_id": "app_other"}); a.status != http.StatusBadRequest {
		t.Errorf("wrong client: %d", a.status)
	}
	if a := do(t, s, http.MethodPost, PathDeviceUserCode, "application/x-www-form-urlencoded", []byte("client_id="+ClientID)); a.status != http.StatusBadRequest {
		t.Errorf("form body: %d", a.status)
	}
	s.SetDeviceInterval("5")
	if _, _, interval := startDevice(t, s); interval != "5" {
		t.Errorf("interval = %q, want 5", interval)
	}
}

func TestDeviceAutoApprove(t *testing.T) {
	s := newServer(t)
	s.AutoApproveDevice(2)
	id, code, _ := startDevice(t, s)
	var statuses []int
	for range 3 {
		statuses = append(statuses, pollDevice(t, s, id, code).status)
	}
	if statuses[0] != http.StatusForbidden || statuses[1] != http.StatusForbidden || statuses[2] != http.StatusOK {
		t.Errorf("poll statuses = %v, want 403 403 200", statuses)
	}
}

func TestDevicePage(t *testing.T) {
	s := newServer(t)
	a := do(t, s, http.MethodGet, PathDevicePage, "", nil)
	if a.status != http.StatusOK || !strings.Contains(string(a.body), "Enter your code") ||
		!strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
		t.Errorf("device page: %d %q %s", a.status, a.header.Get("Content-Type"), a.body)
	}
}
