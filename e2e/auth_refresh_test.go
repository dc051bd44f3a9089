package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// This file covers auth.json as the truth shared by every deckhand process:
// logout, logins seen across processes, refreshes and their failures, a
// corrupt file, and secrets kept out of the log.

func TestLogoutKeepsOtherProviders(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	anthropic := map[string]any{"type": "oauth", "refresh": "rt-other", "access": "at-other", "expires": 1.7e12,
		"x-unknown": map[string]any{"nested": []any{1.0, "two"}}}
	writeAuth(t, home, map[string]any{
		"anthropic": anthropic,
		"openai":    map[string]any{"type": "api", "key": "sk-e2e-logout-1"},
	})
	p := start(t, opts{home: home})
	res := p.initialize(false)
	if a := res["auth"].(map[string]any); a["type"] != "api" || a["source"] != "stored" {
		t.Fatalf("initialize auth = %v, want api/stored", a)
	}
	p.fails("logout", map[string]any{"provider": "anthropic"}, -32602)

	var st authStatus
	p.ok("logout", map[string]any{"provider": "openai"}, &st)
	if st != (authStatus{Provider: "openai", Type: "none"}) {
		t.Errorf("logout = %+v, want none", st)
	}
	got := readAuth(t, home)
	if _, ok := got["openai"]; ok {
		t.Errorf("the openai entry survived logout: %v", got)
	}
	if !reflect.DeepEqual(got["anthropic"], anthropic) {
		t.Errorf("anthropic entry = %v, want %v unchanged", got["anthropic"], anthropic)
	}
	checkMode(t, filepath.Join(home, "auth.json"))
	if st := p.status(); st.Type != "none" {
		t.Errorf("authStatus after logout = %+v", st)
	}
}

func TestOtherProcessLoginSeen(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	a := start(t, opts{fake: fake, home: home})
	a.initialize(false)
	b := start(t, opts{fake: fake, home: home})
	b.initialize(false)

	fake.SetAPIKey("sk-e2e-from-b") // connect checks the key with the API
	b.ok("connect", map[string]any{"provider": "openai", "method": "apiKey", "apiKey": "sk-e2e-from-b"}, nil)
	if st := a.status(); st.Type != "api" || st.Source != "stored" {
		t.Errorf("A after B's connect = %+v, want api/stored", st)
	}
	writeOAuth(t, home, fake.Mint(), "acct_other", time.Now().Add(time.Hour))
	if st := a.status(); st.Type != "oauth" || st.AccountID != "acct_other" {
		t.Errorf("A after the file was rewritten = %+v, want oauth acct_other", st)
	}
	b.ok("logout", map[string]any{"provider": "openai"}, nil)
	if st := a.status(); st.Type != "none" {
		t.Errorf("A after B's logout = %+v, want none", st)
	}
	writeAuth(t, home, map[string]any{"openai": map[string]any{"type": "api", "key": "sk-e2e-by-hand"}})
	if st := a.status(); st.Type != "api" {
		t.Errorf("A after the file was written = %+v, want api", st)
	}
	if err := os.Remove(filepath.Join(home, "auth.json")); err != nil {
		t.Fatal(err)
	}
	if st := a.status(); st.Type != "none" {
		t.Errorf("A after the file was removed = %+v, want none", st)
	}
}

func TestRefreshBeforeExpiry(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	fake.SetTokenTTL(2 * time.Minute) // the access token's own exp decides
	old := fake.Mint()
	fake.SetTokenTTL(time.Hour)
	writeOAuth(t, home, old, upstreamtest.DefaultAccountID, time.Now().Add(2*time.Minute)) // inside the margin
	p := start(t, opts{fake: fake, home: home})
	p.initialize(false)
	fake.PushCodex(upstreamtest.Text("ok"))
	if r := p.chat(map[string]any{"message": "hi"}); r.Text != "ok" {
		t.Fatalf("chat = %+v", r)
	}
	if n := fake.RefreshCount(); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
	e := checkOAuthStored(t, home)
	if e["refresh"] == old.RefreshToken || e["access"] == old.AccessToken {
		t.Errorf("auth.json still holds the old tokens")
	}
	if exp, _ := e["expires"].(float64); int64(exp) < time.Now().Add(30*time.Minute).UnixMilli() {
		t.Errorf("expires %v is not the new token's", e["expires"])
	}
	var grant map[string]string
	for _, r := range fake.RequestsTo(upstreamtest.PathToken) {
		var body map[string]string
		if json.Unmarshal(r.Body, &body) == nil && body["grant_type"] == "refresh_token" { // JSON, as the official CLI
			grant = body
		}
	}
	if grant["refresh_token"] != old.RefreshToken || grant["client_id"] != upstreamtest.ClientID || grant["refresh_reason"] != "proactive_expiry" {
		t.Errorf("refresh grant = %v", grant)
	}
	reqs := fake.RequestsTo(codexPath)
	if len(reqs) != 1 || reqs[0].Header.Get("Authorization") != "Bearer "+e["access"].(string) {
		t.Errorf("the chat did not use the new access token (%d requests)", len(reqs))
	}
}

func TestRefreshOn401(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	old := fake.Mint()
	writeOAuth(t, home, old, upstreamtest.DefaultAccountID, time.Now().Add(time.Hour))
	fake.RevokeAccessTokens()
	p := start(t, opts{fake: fake, home: home})
	p.initialize(false)
	fake.PushCodex(upstreamtest.Text("after refresh"))
	if r := p.chat(map[string]any{"message": "hi"}); r.Text != "after refresh" {
		t.Fatalf("chat = %+v", r)
	}
	if n := fake.RefreshCount(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	fresh := checkOAuthStored(t, home)["access"]
	var auths []string
	for _, r := range fake.RequestsTo(codexPath) {
		auths = append(auths, r.Header.Get("Authorization"))
	}
	if want := []string{"Bearer " + old.AccessToken, "Bearer " + fresh.(string)}; !slices.Equal(auths, want) {
		t.Errorf("codex requests authorised with %d tokens; want the revoked one, then the refreshed one", len(auths))
	}
}

func TestRefreshFails(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	fake.FailRefresh(401, upstreamtest.CodeRefreshReused)
	home := t.TempDir()
	fake.SetTokenTTL(-time.Minute)
	writeOAuth(t, home, fake.Mint(), upstreamtest.DefaultAccountID, time.Now().Add(-time.Minute))
	fake.SetTokenTTL(time.Hour)
	before, err := os.ReadFile(filepath.Join(home, "auth.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, opts{fake: fake, home: home})
	p.initialize(false)
	e := p.fails("chat", map[string]any{"message": "hi"}, -32000)
	var data struct {
		Provider string              `json:"provider"`
		Methods  []map[string]string `json:"methods"`
	}
	if err := json.Unmarshal(e.Data, &data); err != nil || data.Provider != "openai" || !reflect.DeepEqual(data.Methods, wantMethods) {
		t.Errorf("error data = %s, want provider and the 3 methods", e.Data)
	}
	after, err := os.ReadFile(filepath.Join(home, "auth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Errorf("a failed refresh changed auth.json:\n%s\nwas:\n%s", after, before)
	}
	if n := len(fake.RequestsTo(codexPath)); n != 0 {
		t.Errorf("%d model requests made with an expired login", n)
	}
}

func TestRefreshSharedByProcesses(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	fake.SetTokenTTL(-time.Minute)
	writeOAuth(t, home, fake.Mint(), upstreamtest.DefaultAccountID, time.Now().Add(-time.Minute))
	fake.SetTokenTTL(time.Hour)
	var procs []*proc
	for range 3 {
		p := start(t, opts{fake: fake, home: home})
		p.initialize(false)
		procs = append(procs, p)
	}
	fake.PushCodex(upstreamtest.Text("same"), upstreamtest.Text("same"), upstreamtest.Text("same"))
	var chans []chan msg
	for _, p := range procs {
		_, ch := p.send("chat", map[string]any{"message": "go"})
		chans = append(chans, ch)
	}
	for i, ch := range chans {
		res, err := procs[i].await(ch, "chat")
		if err != nil {
			t.Errorf("process %d: chat: %v", i, err)
		} else if r := decode[chatResult](t, res); r.Text != "same" {
			t.Errorf("process %d: chat = %+v", i, r)
		}
	}
	if n := fake.RefreshCount(); n != 1 {
		t.Errorf("%d refreshes by 3 processes, want 1", n)
	}
	fresh := "Bearer " + checkOAuthStored(t, home)["access"].(string)
	for i, r := range fake.RequestsTo(codexPath) {
		if r.Header.Get("Authorization") != fresh {
			t.Errorf("request %d did not use the one refreshed token", i)
		}
	}
}

func TestCorruptAuthJSON(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	const garbage = "{not json"
	if err := os.WriteFile(filepath.Join(home, "auth.json"), []byte(garbage), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, opts{home: home})
	res := p.initialize(false)
	if a := res["auth"].(map[string]any); a["type"] != "none" {
		t.Errorf("initialize auth = %v, want none", a)
	}
	e := p.fails("chat", map[string]any{"message": "hi"}, -32000)
	if !strings.Contains(e.Message, "moved aside") {
		t.Errorf("message %q does not say auth.json was moved aside", e.Message)
	}
	backups, _ := filepath.Glob(filepath.Join(home, "auth.json.corrupt-*"))
	if len(backups) != 1 {
		t.Fatalf("backups %v, want one", backups)
	}
	if b, err := os.ReadFile(backups[0]); err != nil || string(b) != garbage {
		t.Errorf("backup holds %q (%v), want the original bytes", b, err)
	}
	if st := p.status(); st.Type != "none" {
		t.Errorf("authStatus = %+v", st)
	}
	p.ok("connect", map[string]any{"provider": "openai", "method": "apiKey", "apiKey": "sk-e2e-after-corrupt"}, nil)
	if st := p.status(); st.Type != "api" {
		t.Errorf("authStatus after connect = %+v", st)
	}
}

func TestNoSecretInLog(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	const apiKey = "sk-e2e-never-logged-5c1d"
	fake.SetAPIKey(apiKey)
	fake.SetDeviceInterval("1")
	p := start(t, opts{fake: fake})
	p.initialize(false)

	so := p.startOAuth("headless")
	fake.ApproveDevice("")
	if r := p.poll(so.FlowID, true); r.State != "complete" {
		t.Fatalf("device login = %+v", r)
	}
	first := readAuth(t, p.home)["openai"]
	fake.PushCodex(upstreamtest.Text("one"), upstreamtest.Text("two"))
	p.chat(map[string]any{"message": "one"})
	fake.RevokeAccessTokens() // the next chat refreshes
	p.chat(map[string]any{"message": "two"})
	if n := fake.RefreshCount(); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
	second := readAuth(t, p.home)["openai"]
	p.ok("connect", map[string]any{"provider": "openai", "method": "apiKey", "apiKey": apiKey}, nil)
	fake.PushAPI(upstreamtest.Text("three"))
	p.chat(map[string]any{"message": "three"})

	secrets := map[string]string{"API key": apiKey}
	for i, e := range []map[string]any{first, second} {
		for _, k := range []string{"access", "refresh"} {
			secrets[fmt.Sprintf("%s token #%d", k, i+1)], _ = e[k].(string)
		}
	}
	for i, r := range fake.RequestsTo(upstreamtest.PathToken) {
		for _, k := range []string{"code", "code_verifier", "refresh_token"} {
			if v := r.Form.Get(k); v != "" {
				secrets[fmt.Sprintf("%s of token request #%d", k, i+1)] = v
			}
		}
	}
	log := p.log()
	if len(log) == 0 {
		t.Fatal("the log is empty")
	}
	for what, s := range secrets {
		if s == "" {
			t.Errorf("%s is empty: the test lost track of it", what)
		} else if strings.Contains(log, s) {
			t.Errorf("the %s appears in the log", what)
		}
	}
	// Every JWT (the id and access tokens) starts with a base64url "{\"".
	if strings.Contains(log, "eyJ") {
		t.Errorf("a JWT appears in the log")
	}
}

// An openai entry deckhand cannot use (another tool's type, a blank key) is
// reported and left alone, with the other providers' entries.
func TestUnusableEntryReportedAndKept(t *testing.T) {
	home := t.TempDir()
	writeAuth(t, home, map[string]any{
		"openai":    map[string]any{"type": "wellknown", "key": "k", "token": "t"},
		"anthropic": map[string]any{"type": "api", "key": "sk-ant"},
	})
	before, _ := os.ReadFile(filepath.Join(home, "auth.json"))
	// OPENAI_API_KEY stands in only when there is no openai entry at all.
	p := start(t, opts{home: home, env: []string{"OPENAI_API_KEY=sk-env"}})
	res := p.initialize(false)
	a := res["auth"].(map[string]any)
	if a["type"] != "none" || !strings.Contains(fmt.Sprint(a["warning"]), "wellknown") {
		t.Errorf("auth = %v", a)
	}
	e := p.fails("chat", map[string]any{"message": "hi"}, -32000)
	if !strings.Contains(e.Message, "log in again") || strings.Contains(e.Message, "read login") {
		t.Errorf("message %q", e.Message)
	}
	after, _ := os.ReadFile(filepath.Join(home, "auth.json"))
	if string(after) != string(before) {
		t.Errorf("auth.json changed:\n%s\n%s", before, after)
	}
}
