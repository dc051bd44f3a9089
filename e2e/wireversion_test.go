package e2e

import (
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// DECKHAND_WIRE_VERSION moves the version deckhand speaks: the catalog is
// asked with it, every turn says it, and the models it is too old for are
// not offered.
func TestWireVersionSetting(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{env: []string{"DECKHAND_WIRE_VERSION=0.150.0"}})
	var models struct {
		Models []struct {
			ID string `json:"id"`
		} `json:"models"`
		Default string `json:"default"`
	}
	p.ok("models", map[string]any{}, &models)
	// gpt-6.2-sol and gpt-6.2-astra ask for 0.160.0.
	if models.Default != "gpt-6.1-terra" {
		t.Errorf("default %q under 0.150.0, want gpt-6.1-terra", models.Default)
	}
	if q := fake.RequestsTo(upstreamtest.PathCodexModels)[0].Query().Get("client_version"); q != "0.150.0" {
		t.Errorf("catalog asked with client_version %q", q)
	}
	fake.PushCodex(upstreamtest.Text("Hi."))
	r := p.chat(map[string]any{"message": "hi"})
	if r.StopReason != "end_turn" {
		t.Fatalf("turn %+v", r)
	}
	h := fake.RequestsTo(codexPath)[0].Header
	if h.Get("version") != "0.150.0" || !strings.HasPrefix(h.Get("User-Agent"), "deckhand/0.150.0 (") {
		t.Errorf("version %q, User-Agent %q", h.Get("version"), h.Get("User-Agent"))
	}

	// A model that asks for a newer client is refused with the models that
	// work, and the session goes on with one of them.
	fake.PushCodex(upstreamtest.Text("Hi again."))
	e := p.fails("chat", map[string]any{"sessionId": r.SessionID, "message": "on the newest", "model": "gpt-6.2-sol"}, -32013)
	if !strings.Contains(e.Message, "newer Codex client") || !strings.Contains(e.Message, "gpt-6.1-terra") || !strings.Contains(string(e.Data), `"model":"gpt-6.2-sol"`) {
		t.Errorf("refusal %q %s", e.Message, e.Data)
	}
	if r2 := p.chat(map[string]any{"sessionId": r.SessionID, "message": "on the default"}); r2.Text != "Hi again." {
		t.Errorf("the session after the refusal: %+v", r2)
	}

	// A value that is no version stops deckhand with a clear word.
	_, errOut, code := run(t, fake, t.TempDir(), t.TempDir(), "", "--wire-version", "latest", "status")
	if code != 2 || !strings.Contains(errOut, `"latest" is not a version`) {
		t.Errorf("bad --wire-version: exit %d, %q", code, errOut)
	}
}
