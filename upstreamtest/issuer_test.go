package upstreamtest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestAuthorizeValidates(t *testing.T) {
	tests := []struct {
		name   string
		change func(q url.Values)
		reason string
	}{
		{"response type", func(q url.Values) { q.Set("response_type", "token") }, "response_type"},
		{"client id", func(q url.Values) { q.Set("client_id", "app_other") }, "client_id"},
		{"redirect host", func(q url.Values) { q.Set("redirect_uri", "http://evil.example/auth/callback") }, "redirect_uri"},
		{"redirect path", func(q url.Values) { q.Set("redirect_uri", "http://localhost:1455/callback") }, "redirect_uri"},
		{"https redirect", func(q url.Values) { q.Set("redirect_uri", "https://localhost:1455/auth/callback") }, "redirect_uri"},
		{"no offline access", func(q url.Values) { q.Set("scope", "openid profile email") }, "offline_access"},
		{"plain method", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "code_challenge_method"},
		{"no challenge", func(q url.Values) { q.Del("code_challenge") }, "code_challenge"},
		{"no state", func(q url.Values) { q.Del("state") }, "state"},
	}
	s := newServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := authorizeQuery(S256(testVerifier), "st")
			tt.change(q)
			a := do(t, s, http.MethodGet, PathAuthorize+"?"+q.Encode(), "", nil)
			if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), tt.reason) {
				t.Errorf("status %d body %q, want 400 naming %s", a.status, a.body, tt.reason)
			}
		})
	}
	t.Run("loopback ip accepted", func(t *testing.T) {
		q := authorizeQuery(S256(testVerifier), "st")
		q.Set("redirect_uri", "http://127.0.0.1:1457/auth/callback")
		if a := do(t, s, http.MethodGet, PathAuthorize+"?"+q.Encode(), "", nil); a.status != http.StatusFound {
			t.Errorf("status %d: %s", a.status, a.body)
		}
	})
}

// TestBrowserFlowFollowsRedirect plays the browser: a GET that follows the
// issuer's redirect to a local callback, then the exchange.
func TestBrowserFlowFollowsRedirect(t *testing.T) {
	s := newServer(t)
	got := make(chan url.Values, 1)
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth/callback" {
			got <- r.URL.Query()
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer callback.Close()
	redirect := callback.URL + "/auth/callback"
	cu, _ := url.Parse(callback.URL)
	port, _ := strconv.Atoi(cu.Port())
	s.AllowRedirectPort(port)

	q := authorizeQuery(S256(testVerifier), "state-123")
	q.Set("redirect_uri", redirect)
	resp, err := http.Get(s.Issuer() + PathAuthorize + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var back url.Values
	select {
	case back = <-got:
	default:
		t.Fatal("the callback was not reached")
	}
	if back.Get("state") != "state-123" || back.Get("code") == "" {
		t.Fatalf("callback query = %v", back)
	}

	a := postForm(t, s, PathToken, exchangeForm(back.Get("code"), redirect, testVerifier))
	if a.status != http.StatusOK {
		t.Fatalf("exchange: %d %s", a.status, a.body)
	}
	m := a.json(t)
	for _, k := range []string{"id_token", "access_token", "refresh_token"} {
		if field(m, k) == "" {
			t.Errorf("exchange answer lacks %s: %s", k, a.body)
		}
	}
	if m["expires_in"] != float64(3600) || m["token_type"] != "Bearer" {
		t.Errorf("expires_in %v token_type %v", m["expires_in"], m["token_type"])
	}
	if form := s.RequestsTo(PathToken)[0].Form; form.Get("code_verifier") != testVerifier {
		t.Errorf("recorded form = %v", form)
	}
}

func TestAuthorizeError(t *testing.T) {
	s := newServer(t)
	s.SetAuthorizeError("access_denied", "missing_codex_entitlement")
	a := do(t, s, http.MethodGet, PathAuthorize+"?"+authorizeQuery("ch", "st").Encode(), "", nil)
	loc, _ := url.Parse(a.header.Get("Location"))
	if a.status != http.StatusFound || loc.Query().Get("error") != "access_denied" ||
		loc.Query().Get("error_description") != "missing_codex_entitlement" || loc.Query().Get("code") != "" {
		t.Fatalf("status %d location %s", a.status, loc)
	}
}

func TestCodeExchangeChecks(t *testing.T) {
	tests := []struct {
		name string
		form func(code string) url.Values
	}{
		{"wrong verifier (PKCE)", func(c string) url.Values {
			return exchangeForm(c, testCallback, strings.Repeat("x", 43))
		}},
		{"short verifier", func(c string) url.Values { return exchangeForm(c, testCallback, "short") }},
		{"other redirect", func(c string) url.Values {
			return exchangeForm(c, "http://localhost:1457/auth/callback", testVerifier)
		}},
		{"unknown code", func(string) url.Values { return exchangeForm("ac_nope", testCallback, testVerifier) }},
		{"wrong client", func(c string) url.Values {
			f := exchangeForm(c, testCallback, testVerifier)
			f.Set("client_id", "app_other")
			return f
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			code := authorize(t, s, S256(testVerifier), "st")
			a := postForm(t, s, PathToken, tt.form(code))
			if a.status != http.StatusBadRequest || field(a.json(t), "error") != "invalid_grant" {
				t.Fatalf("status %d body %s, want 400 invalid_grant", a.status, a.body)
			}
			// The refused attempt did not use the code up.
			if a := postForm(t, s, PathToken, exchangeForm(code, testCallback, testVerifier)); a.status != http.StatusOK {
				t.Fatalf("the right exchange after a refused one: %d %s", a.status, a.body)
			}
		})
	}
}

func TestCodeIsSingleUse(t *testing.T) {
	s := newServer(t)
	code := authorize(t, s, S256(testVerifier), "st")
	if a := postForm(t, s, PathToken, exchangeForm(code, testCallback, testVerifier)); a.status != http.StatusOK {
		t.Fatalf("first exchange: %d %s", a.status, a.body)
	}
	a := postForm(t, s, PathToken, exchangeForm(code, testCallback, testVerifier))
	if a.status != http.StatusBadRequest || field(a.json(t), "error") != "invalid_grant" {
		t.Fatalf("second exchange: %d %s", a.status, a.body)
	}
}

func TestTokenEndpointGrantsAndBodies(t *testing.T) {
	s := newServer(t)
	a := postJSON(t, s, PathToken, map[string]string{"grant_type": "refresh_token", "refresh_token": s.Mint().RefreshToken, "client_id": ClientID, "refresh_reason": "proactive_expiry"})
	if a.status != http.StatusOK || s.RefreshCount() != 1 {
		t.Errorf("JSON refresh as the official CLI sends it: status %d, %d refreshes", a.status, s.RefreshCount())
	}
	a = postJSON(t, s, PathToken, map[string]string{"grant_type": "refresh_token", "refresh_token": s.Mint().RefreshToken, "client_id": ClientID, "refresh_reason": "because"})
	if a.status != http.StatusBadRequest {
		t.Errorf("unknown refresh_reason: status %d", a.status)
	}
	a = postJSON(t, s, PathToken, map[string]string{"grant_type": "authorization_code", "code": "x", "client_id": ClientID})
	if a.status != http.StatusBadRequest {
		t.Errorf("JSON code exchange: status %d", a.status)
	}
	a = postForm(t, s, PathToken, url.Values{"grant_type": {"password"}, "client_id": {ClientID}})
	if a.status != http.StatusBadRequest || field(a.json(t), "error") != "unsupported_grant_type" {
		t.Errorf("unknown grant: %d %s", a.status, a.body)
	}
}

func TestRefreshRotates(t *testing.T) {
	s := newServer(t)
	first := s.Mint()

	a := postForm(t, s, PathToken, refreshForm(first.RefreshToken))
	if a.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", a.status, a.body)
	}
	second := a.json(t)
	if field(second, "refresh_token") == first.RefreshToken || field(second, "access_token") == first.AccessToken ||
		field(second, "id_token") == "" {
		t.Fatalf("refresh did not rotate: %s", a.body)
	}
	if s.RefreshCount() != 1 {
		t.Errorf("RefreshCount = %d, want 1", s.RefreshCount())
	}

	// The old token is now spent.
	a = postForm(t, s, PathToken, refreshForm(first.RefreshToken))
	if a.status != http.StatusUnauthorized || field(a.json(t), "error", "code") != CodeRefreshReused ||
		field(a.json(t), "error", "message") != "Your refresh token has already been used to generate a new access token. Please try signing in again." ||
		field(a.json(t), "error", "type") != "invalid_request_error" {
		t.Fatalf("reused refresh: %d %s", a.status, a.body)
	}

	// The new one works, once.
	if a := postForm(t, s, PathToken, refreshForm(field(second, "refresh_token"))); a.status != http.StatusOK {
		t.Fatalf("refresh with the rotated token: %d %s", a.status, a.body)
	}
	if s.RefreshCount() != 2 {
		t.Errorf("RefreshCount = %d, want 2", s.RefreshCount())
	}

	a = postForm(t, s, PathToken, refreshForm("rt_never_issued"))
	if a.status != http.StatusUnauthorized || field(a.json(t), "error", "code") != CodeRefreshInvalidated {
		t.Fatalf("unknown refresh: %d %s", a.status, a.body)
	}
}

func TestFailRefresh(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	s.FailRefresh(http.StatusUnauthorized, CodeRefreshExpired)
	a := postForm(t, s, PathToken, refreshForm(tok.RefreshToken))
	if a.status != http.StatusUnauthorized || field(a.json(t), "error", "code") != CodeRefreshExpired {
		t.Fatalf("failing refresh: %d %s", a.status, a.body)
	}
	s.FailRefresh(0, "")
	if a := postForm(t, s, PathToken, refreshForm(tok.RefreshToken)); a.status != http.StatusOK {
		t.Fatalf("refresh after clearing the failure (token must be unspent): %d %s", a.status, a.body)
	}
	if s.RefreshCount() != 1 {
		t.Errorf("RefreshCount = %d, want 1", s.RefreshCount())
	}
}

func TestTokenClaims(t *testing.T) {
	s := newServer(t)
	s.SetAccountID("acct_custom")
	s.SetTokenTTL(90 * time.Minute)
	a, b := s.Mint(), s.Mint()
	if a.AccessToken == b.AccessToken || a.RefreshToken == b.RefreshToken {
		t.Fatal("two mints gave the same tokens")
	}
	if a.ExpiresIn != 90*60 {
		t.Errorf("ExpiresIn = %d", a.ExpiresIn)
	}
	for name, tok := range map[string]string{"access": a.AccessToken, "id": a.IDToken} {
		mc := jwt.MapClaims{}
		if _, _, err := jwt.NewParser().ParseUnverified(tok, mc); err != nil && !errors.Is(err, jwt.ErrTokenUnverifiable) {
			t.Fatalf("%s token: %v", name, err)
		}
		exp, err := mc.GetExpirationTime()
		if err != nil || exp == nil {
			t.Fatalf("%s token has no exp: %v", name, err)
		}
		if d := time.Until(exp.Time); d < 80*time.Minute || d > 91*time.Minute {
			t.Errorf("%s token expires in %v, want about 90m", name, d)
		}
		auth, _ := mc[AuthClaim].(map[string]any)
		if auth["chatgpt_account_id"] != "acct_custom" || auth["chatgpt_plan_type"] != "plus" {
			t.Errorf("%s token auth claim = %v", name, auth)
		}
		if mc["email"] != DefaultEmail || mc["iat"] == nil {
			t.Errorf("%s token claims = %v", name, mc)
		}
	}
}

func TestExpiredAndRevokedAccessTokens(t *testing.T) {
	s := newServer(t)
	s.SetTokenTTL(-time.Minute)
	expired := s.Mint()
	s.SetTokenTTL(time.Hour)
	live := s.Mint()
	body := []byte(`{"model":"gpt-5.5","instructions":"x","store":false,"stream":true,"input":"hi"}`)
	post := func(tok string) int {
		return do(t, s, http.MethodPost, PathCodexResponses, "application/json", body, "Authorization", "Bearer "+tok).status
	}
	if got := post(expired.AccessToken); got != http.StatusUnauthorized {
		t.Errorf("expired token: status %d", got)
	}
	if got := post(live.AccessToken); got != http.StatusInternalServerError { // accepted; no reply queued
		t.Errorf("live token: status %d", got)
	}
	s.RevokeAccessTokens()
	if got := post(live.AccessToken); got != http.StatusUnauthorized {
		t.Errorf("revoked token: status %d", got)
	}
}
