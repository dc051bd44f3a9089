package auth

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestAuthorizeURL(t *testing.T) {
	c := &Client{Issuer: "https://issuer.example/"}
	p := PKCE{Verifier: "v", Challenge: "chal-lenge_1"}
	raw := c.AuthorizeURL("http://localhost:1455/auth/callback", p, "st ate")

	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != "https://issuer.example/oauth/authorize" {
		t.Errorf("endpoint = %q", got)
	}
	var keys []string
	for _, kv := range strings.Split(u.RawQuery, "&") {
		keys = append(keys, strings.SplitN(kv, "=", 2)[0])
	}
	wantKeys := []string{"response_type", "client_id", "redirect_uri", "code_challenge",
		"code_challenge_method", "state", "scope", "id_token_add_organizations", "codex_cli_simplified_flow", "originator"}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("params order = %v, want %v", keys, wantKeys)
	}
	q := u.Query()
	want := map[string]string{
		"response_type":              "code",
		"client_id":                  ClientID,
		"redirect_uri":               "http://localhost:1455/auth/callback",
		"scope":                      "openid profile email offline_access api.connectors.read api.connectors.invoke",
		"code_challenge":             "chal-lenge_1",
		"code_challenge_method":      "S256",
		"id_token_add_organizations": "true",
		"codex_cli_simplified_flow":  "true",
		"state":                      "st ate",
		"originator":                 "codex_cli_rs",
	}
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if (&Client{Originator: "deckhand"}).AuthorizeURL("r", p, "s") == raw || !strings.Contains((&Client{Originator: "deckhand"}).AuthorizeURL("r", p, "s"), "originator=deckhand") {
		t.Errorf("the Originator setting is not used")
	}
	if !strings.Contains(raw, "scope=openid+profile+email+offline_access+api.connectors.read") {
		t.Errorf("scope not form-encoded with +: %s", raw)
	}
	c.Originator = "other"
	if got, _ := url.Parse(c.AuthorizeURL("r", p, "s")); got.Query().Get("originator") != "other" {
		t.Errorf("originator not taken from the client")
	}
}

func formKeys(v url.Values) []string {
	var keys []string
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestExchangeCodeRequest(t *testing.T) {
	f := newFakeIssuer(t)
	tok, err := f.client().ExchangeCode(context.Background(), "the-code", "http://localhost:9/auth/callback", "the-verifier")
	if err != nil {
		t.Fatal(err)
	}
	forms := f.tokenForms()
	if len(forms) != 1 {
		t.Fatalf("%d token requests, want 1", len(forms))
	}
	got := forms[0]
	if keys := formKeys(got); !reflect.DeepEqual(keys, []string{"client_id", "code", "code_verifier", "grant_type", "redirect_uri"}) {
		t.Errorf("form fields = %v", keys)
	}
	want := map[string]string{"grant_type": "authorization_code", "code": "the-code",
		"redirect_uri": "http://localhost:9/auth/callback", "client_id": ClientID, "code_verifier": "the-verifier"}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, got.Get(k), v)
		}
	}
	h := f.headers[0]
	if h.Get("originator") != DefaultOriginator || h.Get("User-Agent") != "deckhand/test" {
		t.Errorf("headers originator=%q user-agent=%q", h.Get("originator"), h.Get("User-Agent"))
	}
	if tok.AccessToken != "access-x1" || tok.RefreshToken != "refresh-x1" || tok.ExpiresIn != time.Hour || tok.IDToken == "" {
		t.Errorf("tokens = %+v", tok)
	}
}

func TestRefreshRequest(t *testing.T) {
	f := newFakeIssuer(t)
	tok, err := f.client().Refresh(context.Background(), "old-refresh", "")
	if err != nil {
		t.Fatal(err)
	}
	got := f.tokenForms()[0]
	if keys := formKeys(got); !reflect.DeepEqual(keys, []string{"client_id", "grant_type", "json", "refresh_reason", "refresh_token"}) {
		t.Errorf("JSON fields (json marks a JSON body) = %v", keys)
	}
	if got.Get("refresh_reason") != ReasonProactive {
		t.Errorf("refresh_reason = %q, want %q", got.Get("refresh_reason"), ReasonProactive)
	}
	if _, err := f.client().Refresh(context.Background(), "old-refresh", ReasonUnauthorized); err != nil {
		t.Fatal(err)
	}
	if r := f.tokenForms()[1].Get("refresh_reason"); r != ReasonUnauthorized {
		t.Errorf("refresh_reason = %q, want %q", r, ReasonUnauthorized)
	}
	if got.Get("grant_type") != "refresh_token" || got.Get("refresh_token") != "old-refresh" || got.Get("client_id") != ClientID {
		t.Errorf("form = %v", got)
	}
	if tok.ExpiresIn != 2*time.Hour { // the fake sends "7200" as a string
		t.Errorf("ExpiresIn = %v, want 2h", tok.ExpiresIn)
	}
	if _, err := f.client().Refresh(context.Background(), "", ""); !errors.Is(err, ErrReauth) {
		t.Errorf("empty refresh token: err = %v, want ErrReauth", err)
	}
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		code     string
		desc     string
		reauth   bool
		contains string
	}{
		{"reused, object error", 401, `{"error":{"code":"refresh_token_reused","message":"Your refresh token has already been used"}}`,
			"refresh_token_reused", "Your refresh token has already been used", true, "log in again"},
		{"expired string error", 400, `{"error":"refresh_token_expired","error_description":"expired"}`, "refresh_token_expired", "expired", true, "log in again"},
		{"invalidated", 400, `{"error":"refresh_token_invalidated"}`, "refresh_token_invalidated", "", true, "log in again"},
		{"invalid_grant", 400, `{"error":"invalid_grant","error_description":"bad"}`, "invalid_grant", "bad", true, "log in again"},
		{"bare 401", 401, `<html>no</html>`, "", "", true, "HTTP 401"},
		{"top-level code", 401, `{"code":"token_expired","message":"Could not validate your token."}`, "token_expired", "Could not validate your token.", true, ""},
		{"server error is transient", 503, `{"error":"temporarily_unavailable"}`, "temporarily_unavailable", "", false, "try again in a moment"},
		{"other 400", 400, `{"error":"invalid_request","error_description":"missing thing"}`, "invalid_request", "missing thing", false, "missing thing"},
		{"redacted echo", 400, `{"error":"invalid_request","error_description":"bad token old-refresh here"}`, "invalid_request", "bad token [redacted] here", false, "[redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIssuer(t)
			f.onToken = func(url.Values) (int, string) { return tt.status, tt.body }
			_, err := f.client().Refresh(context.Background(), "old-refresh", "")
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want *TokenError", err)
			}
			if te.Status != tt.status || te.Code != tt.code || te.Description != tt.desc {
				t.Errorf("TokenError = %+v", te)
			}
			if errors.Is(err, ErrReauth) != tt.reauth {
				t.Errorf("errors.Is(ErrReauth) = %v, want %v", !tt.reauth, tt.reauth)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("message %q does not contain %q", err.Error(), tt.contains)
			}
			assertNoSecret(t, "error", err.Error(), "old-refresh")
		})
	}
}

func TestTokenAnswerProblems(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not JSON", `nope`},
		{"no access token", `{"refresh_token":"r"}`},
		{"no refresh token on exchange", `{"access_token":"a"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIssuer(t)
			f.onToken = func(url.Values) (int, string) { return 200, tt.body }
			if _, err := f.client().ExchangeCode(context.Background(), "c", "r", "v"); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestTokensCredential(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	withID := Tokens{IDToken: mintJWT(t, map[string]any{"https://api.openai.com/auth": map[string]any{"chatgpt_account_id": "acct-new"}}), AccessToken: "a", RefreshToken: "r", ExpiresIn: 10 * time.Minute}
	c := withID.Credential(now, "acct-old")
	if c.Type != TypeOAuth || c.Access != "a" || c.Refresh != "r" || c.AccountID != "acct-old" {
		t.Errorf("credential = %+v, want the account id chosen at login kept", c)
	}
	if c := withID.Credential(now, ""); c.AccountID != "acct-new" {
		t.Errorf("first credential's account = %q, want the token's", c.AccountID)
	}
	if !c.Expires.Equal(now.Add(10 * time.Minute)) {
		t.Errorf("expires = %v", c.Expires)
	}
	c = Tokens{AccessToken: "opaque"}.Credential(now, "acct-old")
	if c.AccountID != "acct-old" {
		t.Errorf("account id = %q, want the previous one", c.AccountID)
	}
	if !c.Expires.Equal(now.Add(time.Hour)) {
		t.Errorf("default expiry = %v, want an hour", c.Expires.Sub(now))
	}
}
