package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// writeOAuth stores a ChatGPT login in home's auth.json, as a login would.
func writeOAuth(t testing.TB, home string, tok upstreamtest.Tokens, accountID string, expires time.Time) {
	t.Helper()
	writeAuth(t, home, map[string]any{"openai": map[string]any{
		"type": "oauth", "refresh": tok.RefreshToken, "access": tok.AccessToken,
		"expires": expires.UnixMilli(), "accountId": accountID,
	}})
}

func writeAuth(t testing.TB, home string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "auth.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readAuth(t *testing.T, home string) map[string]map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "auth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("auth.json: %v: %s", err, b)
	}
	return v
}

// oauthServer starts a fake and a deckhand logged in to it with ChatGPT.
func oauthServer(t *testing.T, o opts) (*upstreamtest.Server, *proc, upstreamtest.Tokens) {
	t.Helper()
	fake := o.fake
	if fake == nil {
		fake = upstreamtest.New()
		t.Cleanup(fake.Close)
		o.fake = fake
	}
	if o.home == "" {
		o.home = t.TempDir()
	}
	tok := fake.Mint()
	writeOAuth(t, o.home, tok, "acct_test_1", time.Now().Add(time.Hour))
	p := start(t, o)
	p.initialize(false)
	return fake, p, tok
}

// chatResult is the result of chat.
type chatResult struct {
	SessionID  string `json:"sessionId"`
	TurnID     string `json:"turnId"`
	StopReason string `json:"stopReason"`
	Text       string `json:"text"`
	Steps      int    `json:"steps"`
	Usage      struct {
		InputTokens  int `json:"inputTokens"`
		OutputTokens int `json:"outputTokens"`
	} `json:"usage"`
}

func (p *proc) chat(params map[string]any) chatResult {
	p.t.Helper()
	var r chatResult
	p.ok("chat", params, &r)
	return r
}

// requestOwn says whether an input item belongs to the request rather than
// to the session's history: the tools item and the developer messages that
// open every request, and a Lite request's turn settings.
func requestOwn(it map[string]any) bool {
	switch it["type"] {
	case "additional_tools", "configuration_update":
		return true
	}
	return it["role"] == "developer"
}

// input returns the history items of the n-th request of reqs (the items
// requestOwn names left out).
func input(t *testing.T, reqs []upstreamtest.Request, n int) []map[string]any {
	t.Helper()
	if n >= len(reqs) {
		t.Fatalf("only %d requests, want #%d", len(reqs), n)
	}
	items, _ := reqs[n].JSON()["input"].([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		m := it.(map[string]any)
		if requestOwn(m) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// itemText is the text of a typed message item
// ({"content":[{"type":"input_text"|"output_text","text":…}]}), "" for
// other items.
func itemText(it map[string]any) string {
	parts, _ := it["content"].([]any)
	var b strings.Builder
	for _, p := range parts {
		if m, ok := p.(map[string]any); ok {
			if s, ok := m["text"].(string); ok {
				b.WriteString(s)
			}
		}
	}
	return b.String()
}

func farFuture() time.Time { return time.Now().Add(24 * time.Hour) }
