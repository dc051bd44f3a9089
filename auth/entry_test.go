package auth

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// An openai entry deckhand cannot use is reported, not moved aside, and not
// handed on as a credential; nothing in the message echoes a field's value.
func TestStoreUnusableEntry(t *testing.T) {
	const secret = "sk-proj-SECRETVALUE0123456789abcdef"
	tests := []struct {
		name  string
		entry string
		what  string // in the message
	}{
		{"empty entry", `{}`, "has no type"},
		{"blank type", `{"type": "", "key": "` + secret + `"}`, "has no type"},
		{"unknown type", `{"type": "wellknown", "key": "` + secret + `"}`, `has type "wellknown"`},
		{"secret in type", `{"type": "` + secret + `"}`, "has an unknown type"},
		{"type not a string", `{"type": 7}`, `"type" that is not a string`},
		{"entry not an object", `"` + secret + `"`, "is not a JSON object"},
		{"api without key", `{"type": "api"}`, "holds no API key"},
		{"api blank key", `{"type": "api", "key": "  "}`, "holds no API key"},
		{"api key not a string", `{"type": "api", "key": ["` + secret + `"]}`, `"key" that is not a string`},
		{"oauth without tokens", `{"type": "oauth", "expires": 1764400000000}`, "neither an access nor a refresh token"},
		{"oauth expires a word", `{"type": "oauth", "access": "a", "refresh": "r", "expires": "soon"}`, `"expires" that is not a number`},
		{"oauth expires a secret", `{"type": "oauth", "access": "a", "refresh": "r", "expires": "1764400000000x` + secret + `"}`, `"expires" that is not a number`},
		{"oauth expires NaN", `{"type": "oauth", "access": "a", "refresh": "r", "expires": "NaN"}`, `"expires" that is not a number`},
		{"oauth expires an object", `{"type": "oauth", "access": "a", "refresh": "r", "expires": {}}`, `"expires" that is not a number`},
		{"oauth access not a string", `{"type": "oauth", "access": 12, "refresh": "r"}`, `"access" that is not a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			s := NewStore(home)
			content := `{"anthropic": {"type": "api", "key": "sk-ant"}, "openai": ` + tt.entry + `}`
			writeFile(t, s.Path(), content)
			c, ok, err := s.Load()
			if ok || c != (Credential{}) {
				t.Errorf("Load handed on %+v (ok=%v)", c, ok)
			}
			if !errors.Is(err, ErrUnusableEntry) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNoCredential) {
				t.Fatalf("err = %v, want ErrUnusableEntry only", err)
			}
			msg := err.Error()
			for _, want := range []string{tt.what, s.Path(), "log in again"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			assertNoSecret(t, "error", msg, secret)
			if data, _ := os.ReadFile(s.Path()); string(data) != content {
				t.Errorf("auth.json changed: %s", data)
			}
			if ce := s.TakeCorrupt(); ce != nil {
				t.Errorf("reported as corrupt: %v", ce)
			}

			// Logging in again replaces the entry and keeps the others.
			want := Credential{Type: TypeOAuth, Access: "a2", Refresh: "r2", Expires: time.UnixMilli(1764400000000)}
			if err := s.Save(want); err != nil {
				t.Fatal(err)
			}
			if got, ok, err := s.Load(); err != nil || !ok || !sameCred(got, want) {
				t.Errorf("after Save: %+v, %v, %v", got, ok, err)
			}
			if m := readJSON(t, s.Path()); entryField(m["anthropic"], "key") != "sk-ant" {
				t.Errorf("other provider lost: %v", m)
			}
		})
	}
}

// The entry is read leniently: expires as a number or a numeric string,
// null fields as absent, fields another type uses ignored.
func TestStoreLenientEntry(t *testing.T) {
	exp := time.UnixMilli(1764400000000)
	tests := []struct {
		name  string
		entry string
		want  Credential
	}{
		{"expires as string", `{"type": "oauth", "access": "a", "refresh": "r", "expires": "1764400000000"}`,
			Credential{Type: TypeOAuth, Access: "a", Refresh: "r", Expires: exp}},
		{"expires as float", `{"type": "oauth", "access": "a", "refresh": "r", "expires": 1.7644e12}`,
			Credential{Type: TypeOAuth, Access: "a", Refresh: "r", Expires: exp}},
		{"refresh only, null fields", `{"type": "oauth", "refresh": "r", "access": null, "expires": null, "accountId": null}`,
			Credential{Type: TypeOAuth, Refresh: "r"}},
		{"blank expires", `{"type": "oauth", "access": "a", "expires": ""}`,
			Credential{Type: TypeOAuth, Access: "a"}},
		{"api with stray oauth fields", `{"type": "api", "key": "sk-1", "expires": "soon", "access": 5}`,
			Credential{Type: TypeAPI, Key: "sk-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStore(t.TempDir())
			writeFile(t, s.Path(), `{"openai": `+tt.entry+`}`)
			got, ok, err := s.Load()
			if err != nil || !ok || !sameCred(got, tt.want) {
				t.Errorf("Load = %+v, %v, %v; want %+v", got, ok, err, tt.want)
			}
		})
	}
}

// Token asks for a login when the stored entry is unusable: ErrUnusableEntry,
// not ErrNoCredential (which would let an environment key stand in silently).
func TestTokenSourceUnusableEntry(t *testing.T) {
	for _, entry := range []string{`{}`, `{"type": "wellknown"}`, `{"type": "oauth", "access": "a", "refresh": "r", "expires": "soon"}`} {
		t.Run(entry, func(t *testing.T) {
			f := newFakeIssuer(t)
			ts, _ := newTokenSource(t, f, time.Hour)
			writeFile(t, ts.store.Path(), `{"openai": `+entry+`}`)
			c, err := ts.Token(context.Background())
			if !errors.Is(err, ErrUnusableEntry) || errors.Is(err, ErrNoCredential) {
				t.Errorf("Token = %+v, %v; want ErrUnusableEntry and not ErrNoCredential", c, err)
			}
			if c != (Credential{}) || f.refreshes.Load() != 0 {
				t.Errorf("credential %+v, %d refreshes", c, f.refreshes.Load())
			}
		})
	}
}
