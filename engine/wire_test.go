package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/auth"
	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// The ChatGPT branch's headers: honest originator, the official shape of
// User-Agent, session-id with a hyphen, and the turn state echoed within a
// turn only.
func TestCodexIdentityAndTurnState(t *testing.T) {
	e, fake := testEngine(t)
	e.tools = []tools.Tool{hook{name: "list", fn: func() {}}}
	fake.PushCodex(upstreamtest.Step().Call("c1", "list", `{}`).Reply(), upstreamtest.Text("done"), upstreamtest.Text("again"))
	res, err := e.Chat(context.Background(), ChatRequest{Message: "go"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "more"}); err != nil {
		t.Fatal(err)
	}
	reqs := fake.RequestsTo(upstreamtest.PathCodexResponses)
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	// The official shape, with the originator's name and the wire version.
	ua := regexp.MustCompile(`^deckhand/` + regexp.QuoteMeta(WireVersion) + ` \([^;()]+ [^;()]*; [a-z0-9_]+\)$`)
	for i, r := range reqs {
		h := r.Header
		if h.Get("version") != WireVersion {
			t.Errorf("request %d: version %q", i, h.Get("version"))
		}
		if h.Get("originator") != "deckhand" || !ua.MatchString(h.Get("User-Agent")) || h.Get("session-id") != res.SessionID {
			t.Errorf("request %d: originator %q, User-Agent %q, session-id %q", i, h.Get("originator"), h.Get("User-Agent"), h.Get("session-id"))
		}
		if _, ok := h["Session_id"]; ok {
			t.Errorf("request %d still sends session_id", i)
		}
	}
	if reqs[0].Header.Get("x-codex-turn-state") != "" {
		t.Errorf("the first request of a turn carries a turn state")
	}
	if got := reqs[1].Header.Get("x-codex-turn-state"); got == "" {
		t.Errorf("the second step did not echo the turn state")
	}
	if got := reqs[2].Header.Get("x-codex-turn-state"); got != "" {
		t.Errorf("the next turn carried the last turn's state %q", got)
	}
}

// A setting overrides the originator of turns; the login keeps its own.
func TestOriginatorSettings(t *testing.T) {
	e, fake := testEngine(t)
	e.cfg.Originator = "codex_cli_rs"
	fake.PushCodex(upstreamtest.Text("ok"))
	if _, err := e.Chat(context.Background(), ChatRequest{Message: "go"}); err != nil {
		t.Fatal(err)
	}
	if o := fake.RequestsTo(upstreamtest.PathCodexResponses)[0].Header.Get("originator"); o != "codex_cli_rs" {
		t.Errorf("originator %q", o)
	}
	if e.issuer.Originator != auth.DefaultOriginator {
		t.Errorf("the login's originator is %q, want %q", e.issuer.Originator, auth.DefaultOriginator)
	}
}

// Input items are fully typed, as the official CLI sends them.
func TestTypedInputItems(t *testing.T) {
	e, fake := testEngine(t)
	fake.PushCodex(upstreamtest.Text("first answer"), upstreamtest.Text("second"))
	res, err := e.Chat(context.Background(), ChatRequest{Message: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "again"}); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Input []json.RawMessage `json:"input"`
	}
	if err := json.Unmarshal(fake.RequestsTo(upstreamtest.PathCodexResponses)[1].Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"user:hello": `{"content":[{"text":"hello","type":"input_text"}],"role":"user","type":"message"}`,
		// Replayed with the service's id, as the official client does.
		"assistant:first": `{"content":[{"text":"first answer","type":"output_text"}],"id":"msg_1","role":"assistant","type":"message"}`,
		"user:again":      `{"content":[{"text":"again","type":"input_text"}],"role":"user","type":"message"}`,
	}
	found := map[string]bool{}
	for _, raw := range body.Input {
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		canon, _ := json.Marshal(m)
		for k, w := range want {
			if string(canon) == w {
				found[k] = true
			}
		}
		if m["role"] == "system" {
			t.Errorf("a system item: %s", raw)
		}
	}
	for k := range want {
		if !found[k] {
			t.Errorf("no item %s in %s", k, fake.RequestsTo(upstreamtest.PathCodexResponses)[1].Body)
		}
	}
	if m := TypedMessage("system", "x").OfInputMessage; m.Role != "developer" {
		t.Errorf("a system message goes out as %q", m.Role)
	}
}

// apiEngine is an engine logged in with an API key the fake accepts.
func apiEngine(t *testing.T, cfg func(*Config)) (*Engine, *upstreamtest.Server) {
	t.Helper()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	fake.SetAPIKey("sk-good")
	c := Config{Version: "test", Home: t.TempDir(), Issuer: fake.Issuer(), CodexBaseURL: fake.CodexBase(),
		APIBaseURL: fake.APIBase(), AllowAll: true, EnvAPIKey: "sk-good"}
	if cfg != nil {
		cfg(&c)
	}
	e := New(c)
	if _, err := e.Attach(&recorder{}, t.TempDir(), false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e, fake
}

// OpenAI-Organization and OpenAI-Project go to the public API only.
func TestOrganizationHeadersOnTheAPIBranchOnly(t *testing.T) {
	e, fake := apiEngine(t, func(c *Config) { c.Organization, c.Project = "org-1", "proj-1" })
	fake.PushAPI(upstreamtest.Text("ok"))
	if _, err := e.Chat(context.Background(), ChatRequest{Message: "go"}); err != nil {
		t.Fatal(err)
	}
	h := fake.RequestsTo(upstreamtest.PathAPIResponses)[0].Header
	if h.Get("OpenAI-Organization") != "org-1" || h.Get("OpenAI-Project") != "proj-1" || h.Get("originator") != "" {
		t.Errorf("API headers: org %q project %q originator %q", h.Get("OpenAI-Organization"), h.Get("OpenAI-Project"), h.Get("originator"))
	}

	o, ofake := testEngine(t)
	o.cfg.Organization, o.cfg.Project = "org-1", "proj-1"
	ofake.PushCodex(upstreamtest.Text("ok"))
	if _, err := o.Chat(context.Background(), ChatRequest{Message: "go"}); err != nil {
		t.Fatal(err)
	}
	ch := ofake.RequestsTo(upstreamtest.PathCodexResponses)[0].Header
	if ch.Get("OpenAI-Organization") != "" || ch.Get("OpenAI-Project") != "" {
		t.Errorf("the ChatGPT branch got organization headers")
	}
}

// The live catalog: visible entries by priority, the first the default,
// efforts from the catalog; without one the built-in list says so.
func TestModelCatalog(t *testing.T) {
	e, fake := testEngine(t)
	l, err := e.ModelCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if l.Source != SourceLive || l.Default != "gpt-6.2-sol" || len(l.Models) != 11 || !l.Models[0].Default || l.Models[1].Default {
		t.Fatalf("live list: %+v", l)
	}
	for _, m := range l.Models {
		if m.ID == "codex-auto-review" || m.ID == "gpt-daybreak-preview" {
			t.Errorf("hidden entry %s listed", m.ID)
		}
	}
	if got := l.Models[6].ReasoningEfforts; l.Models[6].ID != "gpt-6-luna" || len(got) != 2 || got[0] != "low" || got[1] != "medium" {
		t.Errorf("gpt-6-luna efforts %v (the catalog lists minimal, low, medium)", got)
	}
	if q := fake.RequestsTo(upstreamtest.PathCodexModels)[0].Query().Get("client_version"); q != CatalogClientVersion {
		t.Errorf("client_version %q", q)
	}
	// Asked again with the ETag of the copy kept: a 304 keeps it.
	cached, err := e.ModelCatalog(context.Background())
	asks := fake.RequestsTo(upstreamtest.PathCodexModels)
	if err != nil || cached.Source != SourceLive || len(cached.Models) != 11 || asks[len(asks)-1].Header.Get("If-None-Match") == "" {
		t.Errorf("catalog asked again: %+v, %v, If-None-Match %q", cached, err, asks[len(asks)-1].Header.Get("If-None-Match"))
	}
	fake.SetCodexCatalog([]upstreamtest.CatalogModel{
		{Slug: "b", Visibility: "list", Priority: 2, MinimalClientVersion: "0.1.0"},
		{Slug: "a", Visibility: "list", Priority: 1, MinimalClientVersion: "0.1.0"},
		{Slug: "h", Visibility: "hide", Priority: 0, MinimalClientVersion: "0.1.0"},
		{Slug: "future", Visibility: "list", Priority: 0, MinimalClientVersion: "9.0.0"},
	})
	if l, _ := e.ModelCatalog(context.Background()); len(l.Models) != 2 || l.Models[0].ID != "a" || l.Default != "a" {
		t.Errorf("priority order: %+v", l)
	}
	// Without a catalog, the last one kept on disk answers, also after a
	// restart; with none kept, the built-in list.
	fake.SetCodexModels()
	l, err = e.ModelCatalog(context.Background())
	if err != nil || l.Source != SourceLive || l.Default != "a" || len(l.Models) != 2 {
		t.Errorf("kept list: %+v, %v", l, err)
	}
	again := New(e.cfg)
	t.Cleanup(again.Close)
	if l, err := again.ModelCatalog(context.Background()); err != nil || l.Default != "a" || len(l.Models) != 2 {
		t.Errorf("kept list after a restart: %+v, %v", l, err)
	}
	if err := os.Remove(filepath.Join(e.cfg.Home, catalogFile)); err != nil {
		t.Fatal(err)
	}
	fresh := New(e.cfg)
	t.Cleanup(fresh.Close)
	l, err = fresh.ModelCatalog(context.Background())
	if err != nil || l.Source != SourceBuiltin || l.Default != builtinEntries()[0].Slug || len(l.Models) != len(builtinEntries()) {
		t.Errorf("builtin list: %+v, %v", l, err)
	}
}

// A model the plan does not serve names the ones it does.
func TestModelNotServed(t *testing.T) {
	e, fake := testEngine(t)
	fake.SetCodexModels("gpt-6.2-sol", "gpt-6-luna")
	_, err := e.Chat(context.Background(), ChatRequest{Message: "go", Model: "gpt-5.6"})
	var m *ModelNotServedError
	if !errors.As(err, &m) || m.Model != "gpt-5.6" || len(m.Available) != 2 || m.Available[0] != "gpt-6.2-sol" {
		t.Fatalf("err = %#v", err)
	}
}

// An API key is checked before it is stored.
func TestConnectAPIKeyChecksTheKey(t *testing.T) {
	e, fake := apiEngine(t, func(c *Config) { c.EnvAPIKey = "" })
	if _, err := e.ConnectAPIKey(context.Background(), "sk-bad"); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("refused key: err = %v", err)
	}
	if _, ok, _ := e.store.Load(); ok {
		t.Errorf("a refused key was stored")
	}
	st, err := e.ConnectAPIKey(context.Background(), "sk-good")
	if err != nil || st.Type != "api" || st.Warning != "" {
		t.Errorf("good key: %+v, %v", st, err)
	}
	if n := len(fake.RequestsTo(upstreamtest.PathAPIModels)); n != 2 {
		t.Errorf("%d checks, want 2", n)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	d, _ := apiEngine(t, func(c *Config) { c.EnvAPIKey, c.APIBaseURL = "", dead })
	st, err = d.ConnectAPIKey(context.Background(), "sk-unchecked")
	if err != nil || st.Type != "api" || st.Warning == "" {
		t.Errorf("unreachable API: %+v, %v; want it stored with a warning", st, err)
	}
	if c, ok, _ := d.store.Load(); !ok || c.Key != "sk-unchecked" {
		t.Errorf("the unverified key was not stored")
	}
}

// inputText is the text of a typed input message item, "" for others.
func inputText(item any) string {
	m, _ := item.(map[string]any)
	parts, _ := m["content"].([]any)
	text := ""
	for _, p := range parts {
		if pm, ok := p.(map[string]any); ok {
			s, _ := pm["text"].(string)
			text += s
		}
	}
	return text
}

// Waiting on another process's refresh is not blamed on the network.
func TestRefreshBusyIsSaid(t *testing.T) {
	e, _ := testEngine(t)
	err := e.authError(context.Background(), fmt.Errorf("refresh login: %w", auth.ErrRefreshBusy))
	var u *UpstreamError
	if !errors.As(err, &u) || !strings.Contains(u.Message, "Another deckhand process is refreshing") || strings.Contains(u.Message, "network") {
		t.Errorf("err = %#v", err)
	}
}

// The issuer's requests name deckhand as a turn's do, the agent being
// worked out on the first request; one that names itself is left alone,
// and the request given is not changed.
func TestIssuerUserAgent(t *testing.T) {
	agents := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents <- r.Header.Get("User-Agent")
	}))
	defer srv.Close()
	c := withUserAgent(&http.Client{}, "9.8.7")
	req, _ := http.NewRequest("GET", srv.URL, nil)
	if _, err := c.Do(req); err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("User-Agent") != "" {
		t.Error("the caller's request was changed")
	}
	own, _ := http.NewRequest("GET", srv.URL, nil)
	own.Header.Set("User-Agent", "other/1")
	if _, err := c.Do(own); err != nil {
		t.Fatal(err)
	}
	got := []string{<-agents, <-agents}
	if !strings.HasPrefix(got[0], "deckhand/9.8.7 (") || got[0] != userAgent("9.8.7") || got[1] != "other/1" {
		t.Errorf("User-Agents %q", got)
	}
}
