package upstreamtest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The issuer's allow-list: an originator or a redirect port it does not
// know ends at the consent screen with missing_required_parameter; a test
// port is registered explicitly, which lets only that port through.
func TestAuthorizeAllowList(t *testing.T) {
	s := newServer(t)
	refused := func(q url.Values) bool {
		a := do(t, s, http.MethodGet, PathAuthorize+"?"+q.Encode(), "", nil)
		if a.status == http.StatusFound {
			return false
		}
		if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "error_code: "+CodeMissingParameter) {
			t.Errorf("refusal: status %d body %s", a.status, a.body)
		}
		return true
	}
	q := authorizeQuery(S256(testVerifier), "st")
	for _, o := range []string{"codex_cli_rs", "codex_vscode", "codex_sdk_ts", "Codex Desktop"} {
		q.Set("originator", o)
		if refused(q) {
			t.Errorf("originator %q refused", o)
		}
	}
	for _, o := range []string{"deckhand", "opencode", ""} {
		q.Set("originator", o)
		if !refused(q) {
			t.Errorf("originator %q accepted", o)
		}
	}
	s.AllowOriginator("deckhand")
	q.Set("originator", "deckhand")
	if refused(q) {
		t.Errorf("an allow-listed deckhand refused")
	}
	q.Set("originator", "codex_cli_rs")
	for _, port := range []string{"1455", "1457"} {
		q.Set("redirect_uri", "http://localhost:"+port+"/auth/callback")
		if refused(q) {
			t.Errorf("port %s refused", port)
		}
	}
	q.Set("redirect_uri", "http://localhost:23456/auth/callback")
	if !refused(q) {
		t.Errorf("an unregistered port accepted")
	}
	s.AllowRedirectPort(23456)
	if refused(q) {
		t.Errorf("a registered test port refused")
	}
	q.Set("redirect_uri", "http://localhost:23457/auth/callback")
	if !refused(q) {
		t.Errorf("registering one port let another through")
	}
}

// The ChatGPT backend's refusals, with its answers.
func TestCodexRefusals(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	base := `"instructions":"x","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}]`
	tests := []struct{ name, body, detail string }{
		{"store true", `{"model":"gpt-5.5","store":true,"stream":true,` + base + `}`, "Store must be set to false"},
		{"no store", `{"model":"gpt-5.5","stream":true,` + base + `}`, "Store must be set to false"},
		{"stream false", `{"model":"gpt-5.5","store":false,"stream":false,` + base + `}`, "Stream must be set to true"},
		{"temperature", `{"model":"gpt-5.5","store":false,"stream":true,"temperature":0.2,` + base + `}`, "Unsupported parameter: temperature"},
		{"max_output_tokens", `{"model":"gpt-5.5","store":false,"stream":true,"max_output_tokens":100,` + base + `}`, "Unsupported parameter: max_output_tokens"},
		{"system item", `{"model":"gpt-5.5","store":false,"stream":true,"instructions":"x","input":[{"type":"message","role":"system","content":[{"type":"input_text","text":"be nice"}]}]}`, "System messages are not allowed"},
		{"unknown model", `{"model":"gpt-5.6","store":false,"stream":true,` + base + `}`, "The 'gpt-5.6' model is not supported when using Codex with a ChatGPT account."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(t, s, http.MethodPost, PathCodexResponses, "application/json", []byte(tt.body), "Authorization", "Bearer "+tok.AccessToken)
			if a.status != http.StatusBadRequest || field(a.json(t), "detail") != tt.detail {
				t.Errorf("status %d body %s, want 400 %q", a.status, a.body, tt.detail)
			}
		})
	}
	// A served model, hidden ones included, passes (500: nothing queued),
	// a Lite one with the Lite header and reasoning.context.
	auth := []string{"Authorization", "Bearer " + tok.AccessToken}
	lite := append([]string{HeaderLite, "true"}, auth...)
	liteBody := func(m string) []byte {
		return []byte(`{"model":"` + m + `","store":false,"stream":true,"reasoning":{"effort":"low","context":"all_turns"},` + base + `}`)
	}
	for _, m := range []string{"gpt-6.2-sol", "codex-auto-review"} {
		if a := do(t, s, http.MethodPost, PathCodexResponses, "application/json", liteBody(m), lite...); a.status != http.StatusInternalServerError {
			t.Errorf("%s: status %d %s", m, a.status, a.body)
		}
	}
	if a := do(t, s, http.MethodPost, PathCodexResponses, "application/json", []byte(`{"model":"gpt-5.5","store":false,"stream":true,`+base+`}`), auth...); a.status != http.StatusInternalServerError {
		t.Errorf("gpt-5.5: status %d %s", a.status, a.body)
	}

	// What the Lite contract and the version gate refuse.
	gates := []struct {
		name   string
		body   []byte
		header []string
		status int
		want   string // detail, or error code
	}{
		{"lite model, standard request", []byte(`{"model":"gpt-6.2-sol","store":false,"stream":true,` + base + `}`), auth, 404, "Model not found gpt-6.2-sol"},
		{"standard model, lite header", liteBody("gpt-5.5"), lite, 400, "This model is not supported when using X-OpenAI-Internal-Codex-Responses-Lite"},
		{"lite without context", []byte(`{"model":"gpt-6.2-sol","store":false,"stream":true,"reasoning":{"effort":"low"},` + base + `}`), lite, 400, "unsupported_value"},
		{"no version", liteBody("gpt-6.2-sol"), append([]string{"version", ""}, lite...), 400, NewerVersionDetail("gpt-6.2-sol")},
		{"old version", liteBody("gpt-6.2-sol"), append([]string{"version", "0.150.0"}, lite...), 400, NewerVersionDetail("gpt-6.2-sol")},
	}
	for _, g := range gates {
		a := do(t, s, http.MethodPost, PathCodexResponses, "application/json", g.body, g.header...)
		got := field(a.json(t), "detail")
		if got == "" {
			got = field(a.json(t), "error", "code")
		}
		if a.status != g.status || got != g.want {
			t.Errorf("%s: status %d %s, want %d %q", g.name, a.status, a.body, g.status, g.want)
		}
	}
}

// The ChatGPT backend serves no compaction endpoint; a trigger item on
// /responses is answered with exactly one compaction item, without using
// the scripted replies.
func TestCompactionByTrigger(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	auth := []string{"Authorization", "Bearer " + tok.AccessToken}
	if a := do(t, s, http.MethodPost, PathCodexCompact, "application/json", []byte(`{"model":"gpt-5.5","input":[]}`), auth...); a.status != http.StatusNotFound {
		t.Errorf("codex compact: %d %s", a.status, a.body)
	}
	s.PushCodex(Text("after"))
	body := `{"model":"gpt-5.5","store":false,"stream":true,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]},{"type":"compaction_trigger"}]}`
	a := do(t, s, http.MethodPost, PathCodexResponses, "application/json", []byte(body), auth...)
	if a.status != http.StatusOK || strings.Count(string(a.body), `"type":"compaction"`) < 1 || s.Triggers() != 1 || s.Compactions() != 1 {
		t.Fatalf("trigger: %d %s", a.status, a.body)
	}
	if codex, _ := s.Pending(); codex != 1 {
		t.Errorf("the trigger used a scripted reply")
	}
	s.RefuseCompactionTrigger(true)
	if a := do(t, s, http.MethodPost, PathCodexResponses, "application/json", []byte(body), auth...); a.status != http.StatusBadRequest {
		t.Errorf("refused trigger: %d %s", a.status, a.body)
	}
}

// A ChatGPT token on the public API lacks its scopes.
func TestChatGPTTokenOnPublicAPI(t *testing.T) {
	s := newServer(t)
	s.SetAPIKey("sk-right")
	tok := s.Mint()
	for _, path := range []string{PathAPIResponses, PathAPIModels} {
		method := http.MethodPost
		if path == PathAPIModels {
			method = http.MethodGet
		}
		a := do(t, s, method, path, "application/json", []byte(`{"model":"gpt-5.5"}`), "Authorization", "Bearer "+tok.AccessToken)
		if a.status != http.StatusUnauthorized || !strings.Contains(field(a.json(t), "error", "message"), "Missing scopes: api.responses.write") {
			t.Errorf("%s: status %d body %s", path, a.status, a.body)
		}
	}
}

// A refresh token works once; the second use is refresh_token_reused.
func TestRefreshTokenUsedTwice(t *testing.T) {
	s := newServer(t)
	rt := s.Mint().RefreshToken
	body := map[string]string{"grant_type": "refresh_token", "refresh_token": rt, "client_id": ClientID, "refresh_reason": "proactive_expiry"}
	if a := postJSON(t, s, PathToken, body); a.status != http.StatusOK {
		t.Fatalf("first use: %d %s", a.status, a.body)
	}
	a := postJSON(t, s, PathToken, body)
	if a.status != http.StatusUnauthorized || field(a.json(t), "error", "code") != CodeRefreshReused {
		t.Errorf("second use: %d %s", a.status, a.body)
	}
}

// The catalog: the reference entries by default, hidden ones marked, and
// those needing a newer client left out for an old client_version.
func TestReferenceCatalog(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	get := func(v string) []any {
		a := do(t, s, http.MethodGet, PathCodexModels+"?client_version="+v, "", nil, "Authorization", "Bearer "+tok.AccessToken)
		if a.status != http.StatusOK {
			t.Fatalf("catalog %s: %d %s", v, a.status, a.body)
		}
		m, _ := a.json(t)["models"].([]any)
		return m
	}
	all := get("0.171.0")
	if len(all) != len(ReferenceCatalog) {
		t.Fatalf("%d entries, want %d", len(all), len(ReferenceCatalog))
	}
	first, _ := all[0].(map[string]any)
	if first["slug"] != "gpt-6.2-sol" || first["visibility"] != "list" || first["priority"] != float64(1) {
		t.Errorf("first entry %v", first)
	}
	if old := get("0.1.0"); len(old) != 0 {
		t.Errorf("client_version 0.1.0 got %d entries, want none (every minimum is above it)", len(old))
	}
	if a := do(t, s, http.MethodGet, PathCodexModels, "", nil, "Authorization", "Bearer "+tok.AccessToken); a.status != http.StatusBadRequest {
		t.Errorf("no client_version: %d", a.status)
	}
}

// The backend hands out a turn state and keeps the one a request echoes.
func TestTurnState(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	s.PushCodex(Text("a"), Text("b"))
	body := []byte(`{"model":"gpt-5.5","store":false,"stream":true,"instructions":"x","input":[]}`)
	a := do(t, s, http.MethodPost, PathCodexResponses, "application/json", body, "Authorization", "Bearer "+tok.AccessToken)
	ts := a.header.Get("x-codex-turn-state")
	if ts == "" {
		t.Fatalf("no turn state: %v", a.header)
	}
	b := do(t, s, http.MethodPost, PathCodexResponses, "application/json", body, "Authorization", "Bearer "+tok.AccessToken, "x-codex-turn-state", ts)
	if got := b.header.Get("x-codex-turn-state"); got != ts {
		t.Errorf("echoed %q, want %q", got, ts)
	}
}
