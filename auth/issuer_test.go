package auth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeIssuer is a small OAuth issuer on 127.0.0.1: /oauth/token and the two
// device endpoints, recording what it was sent.
type fakeIssuer struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	forms    []url.Values  // /oauth/token bodies, in order
	headers  []http.Header // /oauth/token headers, in order
	jsonReqs []map[string]string

	// Behaviour hooks; nil means the default answer.
	onToken    func(form url.Values) (int, string)
	onUsercode func() (int, string)
	onPoll     func(n int) (int, string) // a negative status drops the connection

	polls     atomic.Int32
	refreshes atomic.Int32
	exchanges atomic.Int32
}

const fakeAccount = "acct-from-id-token"

func newFakeIssuer(t *testing.T) *fakeIssuer {
	t.Helper()
	f := &fakeIssuer{t: t}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIssuer) client() *Client {
	return &Client{Issuer: f.srv.URL + "/", HTTP: f.srv.Client(), UserAgent: "deckhand/test"}
}

func (f *fakeIssuer) tokenForms() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.forms...)
}

func (f *fakeIssuer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	var status int
	var answer string
	switch r.URL.Path {
	case "/oauth/token":
		var form url.Values
		switch ct := r.Header.Get("Content-Type"); ct {
		case "application/x-www-form-urlencoded":
			var err error
			if form, err = url.ParseQuery(string(body)); err != nil {
				f.t.Errorf("token body not form-encoded: %v", err)
			}
		case "application/json": // the refresh grant, as the official CLI sends it
			var m map[string]string
			if err := json.Unmarshal(body, &m); err != nil {
				f.t.Errorf("token body not a JSON object of strings: %v", err)
			}
			form = url.Values{}
			for k, v := range m {
				form.Set(k, v)
			}
			form.Set("json", "true")
		default:
			f.t.Errorf("token request Content-Type = %q", ct)
		}
		f.mu.Lock()
		f.forms = append(f.forms, form)
		f.headers = append(f.headers, r.Header.Clone())
		f.mu.Unlock()
		if f.onToken != nil {
			status, answer = f.onToken(form)
		} else {
			status, answer = f.defaultToken(form)
		}
	case "/api/accounts/deviceauth/usercode", "/api/accounts/deviceauth/token":
		var m map[string]string
		if err := json.Unmarshal(body, &m); err != nil {
			f.t.Errorf("device request body not JSON: %v", err)
		}
		f.mu.Lock()
		f.jsonReqs = append(f.jsonReqs, m)
		f.mu.Unlock()
		if r.URL.Path == "/api/accounts/deviceauth/usercode" {
			status, answer = 200, `{"device_auth_id":"dev-1","user_code":"ABCD-1234","interval":"1"}`
			if f.onUsercode != nil {
				status, answer = f.onUsercode()
			}
		} else {
			n := int(f.polls.Add(1))
			status, answer = 403, `{"error":"deviceauth_authorization_pending"}`
			if f.onPoll != nil {
				status, answer = f.onPoll(n)
			}
		}
	default:
		status, answer = 404, `{"error":"not_found"}`
	}
	if status < 0 {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			f.t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, answer)
}

func (f *fakeIssuer) defaultToken(form url.Values) (int, string) {
	switch form.Get("grant_type") {
	case "authorization_code":
		if form.Get("code") == "bad-code" {
			return 400, `{"error":"invalid_grant","error_description":"code is invalid"}`
		}
		n := f.exchanges.Add(1)
		return 200, tokenJSON(mintJWT(f.t, map[string]any{"https://api.openai.com/auth": map[string]any{"chatgpt_account_id": fakeAccount}}),
			fmt.Sprintf("access-x%d", n), fmt.Sprintf("refresh-x%d", n), `3600`)
	case "refresh_token":
		n := f.refreshes.Add(1)
		return 200, tokenJSON(mintJWT(f.t, map[string]any{"https://api.openai.com/auth": map[string]any{"chatgpt_account_id": fakeAccount}}),
			fmt.Sprintf("access-r%d", n), fmt.Sprintf("refresh-r%d", n), `"7200"`)
	}
	return 400, `{"error":"unsupported_grant_type"}`
}

func tokenJSON(id, access, refresh, expiresIn string) string {
	m := map[string]json.RawMessage{}
	put := func(k, v string) {
		if v != "" {
			m[k], _ = json.Marshal(v)
		}
	}
	put("id_token", id)
	put("access_token", access)
	put("refresh_token", refresh)
	if expiresIn != "" {
		m["expires_in"] = json.RawMessage(expiresIn)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// mintJWT makes an unsigned ("alg":"none") token carrying claims.
func mintJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
}

// freePort finds a port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// assertNoSecret fails when text contains any of the secrets.
func assertNoSecret(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains the secret %q: %s", what, s, text)
		}
	}
}
