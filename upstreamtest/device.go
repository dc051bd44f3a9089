package upstreamtest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
)

// CodeDevicePending is the error code of a poll whose user has not yet
// approved the device.
const CodeDevicePending = "deviceauth_authorization_pending"

// deviceStatus is where a device code stands.
type deviceStatus int

const (
	devicePending deviceStatus = iota
	deviceApproved
	deviceDenied
	deviceExpired
)

// deviceCode is one device login in progress.
type deviceCode struct {
	id       string
	userCode string
	status   deviceStatus
	polls    int // pending answers given so far

	// Set on approval: the server-made PKCE pair and the code to exchange.
	authCode  string
	verifier  string
	challenge string
}

// deviceState is the device flow's memory. Guarded by Server.mu.
type deviceState struct {
	disabled  bool
	interval  string
	autoAfter int // AutoApproveDevice; negative means off
	byID      map[string]*deviceCode
	order     []*deviceCode // oldest first
}

func newDeviceState() deviceState {
	return deviceState{interval: DefaultDeviceInterval, autoAfter: -1, byID: make(map[string]*deviceCode)}
}

// SetDeviceLoginDisabled makes /usercode answer 404, as the real issuer does
// for an account without device-code login.
func (s *Server) SetDeviceLoginDisabled(disabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.device.disabled = disabled
}

// SetDeviceInterval sets the interval string /usercode hands out.
func (s *Server) SetDeviceInterval(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.device.interval = v
}

// AutoApproveDevice approves every device code, present and future, once it
// has answered afterPolls pending polls (0: the first poll succeeds). A
// negative value turns it off.
func (s *Server) AutoApproveDevice(afterPolls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.device.autoAfter = afterPolls
}

// LastUserCode is the user code handed out last, or "".
func (s *Server) LastUserCode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.device.order); n > 0 {
		return s.device.order[n-1].userCode
	}
	return ""
}

// ApproveDevice plays the user who enters userCode ("" = the latest) and
// approves it. It reports whether a pending code was found.
func (s *Server) ApproveDevice(userCode string) bool {
	return s.settleDevice(userCode, deviceApproved)
}

// DenyDevice plays the user who declines userCode ("" = the latest). It
// reports whether a pending code was found.
func (s *Server) DenyDevice(userCode string) bool {
	return s.settleDevice(userCode, deviceDenied)
}

// ExpireDevice lets userCode ("" = the latest) run out of time. It reports
// whether a pending code was found.
func (s *Server) ExpireDevice(userCode string) bool {
	return s.settleDevice(userCode, deviceExpired)
}

func (s *Server) settleDevice(userCode string, to deviceStatus) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d *deviceCode
	for i := len(s.device.order) - 1; i >= 0; i-- {
		if c := s.device.order[i]; userCode == "" || c.userCode == userCode {
			d = c
			break
		}
	}
	if d == nil || d.status != devicePending {
		return false
	}
	if to == deviceApproved {
		s.approveLocked(d)
	} else {
		d.status = to
	}
	return true
}

// approveLocked makes the server-side PKCE pair and registers its code for
// exchange at /oauth/token with the device callback as redirect_uri.
func (s *Server) approveLocked(d *deviceCode) {
	d.status = deviceApproved
	d.verifier = rand.Text() + rand.Text()
	d.challenge = S256(d.verifier)
	d.authCode = "ac_" + rand.Text()
	s.issuer.codes[d.authCode] = &authCode{challenge: d.challenge, redirectURI: s.srv.URL + PathDeviceCallback}
}

// handleDeviceUserCode starts a device login.
func (s *Server) handleDeviceUserCode(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	disabled := s.device.disabled
	s.mu.Unlock()
	if disabled {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "not_found"})
		return
	}
	var req struct {
		ClientID string `json:"client_id"`
	}
	if !isJSON(r.Header) || json.NewDecoder(r.Body).Decode(&req) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "expected a JSON body"})
		return
	}
	if req.ClientID != ClientID {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_client", "error_description": "unknown client_id"})
		return
	}
	s.mu.Lock()
	n := s.nextSerial()
	d := &deviceCode{id: "deviceauth_" + rand.Text(), userCode: fmt.Sprintf("%s-%04d", randomLetters(4), n%10000)}
	s.device.byID[d.id] = d
	s.device.order = append(s.device.order, d)
	interval := s.device.interval
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"device_auth_id": d.id, "user_code": d.userCode, "interval": interval})
}

// handleDeviceToken answers a poll.
func (s *Server) handleDeviceToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		DeviceAuthID string `json:"device_auth_id"`
		UserCode     string `json:"user_code"`
	}
	if !isJSON(r.Header) || json.NewDecoder(r.Body).Decode(&req) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "expected a JSON body"})
		return
	}
	s.mu.Lock()
	d, ok := s.device.byID[req.DeviceAuthID]
	if ok && d.userCode != req.UserCode {
		ok = false
	}
	if ok && d.status == devicePending {
		if s.device.autoAfter >= 0 && d.polls >= s.device.autoAfter {
			s.approveLocked(d)
		} else {
			d.polls++
		}
	}
	var snapshot deviceCode
	if ok {
		snapshot = *d
	}
	s.mu.Unlock()

	switch {
	case !ok:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "unknown device_auth_id or user_code"})
	case snapshot.status == devicePending:
		writeJSON(w, http.StatusForbidden, map[string]any{"error": map[string]any{"code": CodeDevicePending}})
	case snapshot.status == deviceDenied:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "access_denied"})
	case snapshot.status == deviceExpired:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "expired_token"})
	default:
		writeJSON(w, http.StatusOK, map[string]any{
			"authorization_code": snapshot.authCode,
			"code_challenge":     snapshot.challenge,
			"code_verifier":      snapshot.verifier,
		})
	}
}

// handleDevicePage is the page the user would type the code into.
func (s *Server) handleDevicePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = fmt.Fprint(w, `<!doctype html>
<html><head><title>Enter your code</title></head>
<body><h1>Enter your code</h1>
<p>Type the code shown by your application to sign in to ChatGPT.</p>
<form><input name="user_code" placeholder="ABCD-1234"></form>
</body></html>
`)
}

// handleDeviceCallback answers the device flow's redirect_uri, which no
// browser visits in that flow; it exists so the URL resolves.
func (s *Server) handleDeviceCallback(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = fmt.Fprintln(w, "Device login complete. You can close this window.")
}

// randomLetters returns n random upper-case ASCII letters.
func randomLetters(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	for i := range b {
		b[i] = 'A' + b[i]%26
	}
	return string(b)
}
