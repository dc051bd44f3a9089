package auth

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func signedHS256(t *testing.T, claims map[string]any) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(claims)).SignedString([]byte("test-key"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAccountID(t *testing.T) {
	ns := func(id string) map[string]any { return map[string]any{"chatgpt_account_id": id} }
	orgs := func(ids ...string) []any {
		var out []any
		for _, id := range ids {
			out = append(out, map[string]any{"id": id, "title": "t"})
		}
		return out
	}
	enc := base64.RawURLEncoding.EncodeToString
	unknownAlg := enc([]byte(`{"alg":"XY999"}`)) + "." + enc([]byte(`{"https://api.openai.com/auth":{"chatgpt_account_id":"acct-odd-alg"}}`)) + ".c2ln"

	tests := []struct {
		name       string
		id, access string
		want       string
	}{
		{"namespace only, not the top level", mintJWT(t, map[string]any{
			"chatgpt_account_id": "acct-top", "https://api.openai.com/auth": ns("acct-ns"), "organizations": orgs("org-1"),
		}), "", "acct-ns"},
		{"never an organization", mintJWT(t, map[string]any{"organizations": orgs("org-1", "org-2")}), "", ""},
		{"id token before access token",
			mintJWT(t, map[string]any{"https://api.openai.com/auth": ns("acct-id")}),
			mintJWT(t, map[string]any{"https://api.openai.com/auth": ns("acct-access")}), "acct-id"},
		{"access token when the id token has none",
			mintJWT(t, map[string]any{"email": "a@b.c", "organizations": orgs("org-id")}),
			signedHS256(t, map[string]any{"https://api.openai.com/auth": ns("acct-access")}), "acct-access"},
		{"HS256 id token", signedHS256(t, map[string]any{"https://api.openai.com/auth": ns("acct-hs")}), "", "acct-hs"},
		{"unknown alg still read", unknownAlg, "", "acct-odd-alg"},
		{"empty values skipped", mintJWT(t, map[string]any{
			"chatgpt_account_id": "x", "https://api.openai.com/auth": ns(""), "organizations": orgs("org-e"),
		}), "", ""},
		{"wrong types ignored", mintJWT(t, map[string]any{
			"chatgpt_account_id": 42, "https://api.openai.com/auth": "x", "organizations": []any{"y"},
		}), "", ""},
		{"malformed id token falls through", "not-a-jwt", mintJWT(t, map[string]any{"https://api.openai.com/auth": ns("acct-a")}), "acct-a"},
		{"nothing", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AccountID(tt.id, tt.access); got != tt.want {
				t.Errorf("AccountID = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	exp := time.Unix(1_800_000_000, 0)
	if got, ok := Expiry(mintJWT(t, map[string]any{"exp": exp.Unix()})); !ok || !got.Equal(exp) {
		t.Errorf("Expiry = %v, %v; want %v", got, ok, exp)
	}
	for _, tok := range []string{"", "opaque-token", mintJWT(t, map[string]any{"sub": "x"})} {
		if _, ok := Expiry(tok); ok {
			t.Errorf("Expiry(%q) ok, want not ok", tok)
		}
	}
}
