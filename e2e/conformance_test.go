package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// The reference: what the official Codex CLI (0.171.0) sends, field by
// field, from the wire notes deckhand's traffic was matched against. Each
// field is one of:
//
//	same     deckhand sends it as the CLI does (the check says how)
//	differs  deckhand sends something else on purpose; the reason is in
//	         README.md under "Differences from the official CLI"
//	absent   the CLI sends it and deckhand does not, for the README's reason
//
// A field deckhand sends that the table does not name fails the test, as
// does a "same" field whose value is off.
type field struct {
	name  string
	kind  string // same, differs, absent
	check func(got string) bool
}

const (
	same    = "same"
	differs = "differs"
	absent  = "absent"
)

var (
	b64url43 = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	uaShape  = regexp.MustCompile(`^deckhand/[0-9A-Za-z.+-]+ \([^;()]+; [a-z0-9_]+\)$`)
	// A turn's User-Agent: the originator's name and the wire version.
	uaTurn = regexp.MustCompile(`^deckhand/` + regexp.QuoteMeta(upstreamtest.WireVersion) + ` \([^;()]+; [a-z0-9_]+\)$`)
)

func eq(want string) func(string) bool { return func(got string) bool { return got == want } }
func nonEmpty() func(string) bool      { return func(got string) bool { return got != "" } }
func matches(re *regexp.Regexp) func(string) bool {
	return func(got string) bool { return re.MatchString(got) }
}

// compare checks got (field -> value, "" when unset) against the table.
func compare(t *testing.T, what string, table []field, got map[string]string, present map[string]bool) {
	t.Helper()
	known := map[string]bool{}
	for _, f := range table {
		known[strings.ToLower(f.name)] = true
		v, ok := got[strings.ToLower(f.name)], present[strings.ToLower(f.name)]
		switch f.kind {
		case same, differs:
			if !ok {
				t.Errorf("%s: %s missing", what, f.name)
			} else if f.check != nil && !f.check(v) {
				t.Errorf("%s: %s = %q, not as the table says", what, f.name, v)
			}
		case absent:
			if ok {
				t.Errorf("%s: %s is sent (%q) but the table lists it as not sent: update the README and the table", what, f.name, v)
			}
		}
	}
	var extra []string
	for k := range present {
		if !known[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("%s: fields the reference does not have: %v", what, extra)
	}
}

func jsonFields(body []byte) (map[string]string, map[string]bool) {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(body, &m)
	got, present := map[string]string{}, map[string]bool{}
	for k, v := range m {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v)
		}
		got[strings.ToLower(k)], present[strings.ToLower(k)] = s, true
	}
	return got, present
}

func formFields(f url.Values) (map[string]string, map[string]bool) {
	got, present := map[string]string{}, map[string]bool{}
	for k := range f {
		got[strings.ToLower(k)], present[strings.ToLower(k)] = f.Get(k), true
	}
	return got, present
}

// TestConformance drives the built binary through a browser login, a device
// login, a proactive and a 401 refresh and a two-step tool turn against the
// strict fake, and holds every request against the official CLI's.
func TestConformance(t *testing.T) {
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	port := freePort(t)
	fake.AllowRedirectPort(port) // the test's port, beside 1455 and 1457
	p := start(t, opts{fake: fake, env: portEnv(port)})
	p.initialize(false)
	issuer := fake.Issuer()
	redirect := "http://localhost:" + strconv.Itoa(port) + "/auth/callback"

	// 1. Browser login: the authorize URL, in the CLI's order.
	so := p.startOAuth("browser")
	u, err := url.Parse(so.URL)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, kv := range strings.Split(u.RawQuery, "&") {
		order = append(order, strings.SplitN(kv, "=", 2)[0])
	}
	wantOrder := []string{"response_type", "client_id", "redirect_uri", "code_challenge", "code_challenge_method",
		"state", "scope", "id_token_add_organizations", "codex_cli_simplified_flow", "originator"}
	if !reflect.DeepEqual(order, wantOrder) {
		t.Errorf("authorize parameters %v, want the CLI's order %v", order, wantOrder)
	}
	got, present := formFields(u.Query())
	compare(t, "authorize URL", []field{
		{"response_type", same, eq("code")},
		{"client_id", same, eq(upstreamtest.ClientID)},
		{"redirect_uri", differs, eq(redirect)}, // localhost, as opencode; the CLI now says 127.0.0.1
		{"code_challenge", same, matches(b64url43)},
		{"code_challenge_method", same, eq("S256")},
		{"state", same, matches(b64url43)}, // 32 random bytes, base64url
		{"scope", same, eq("openid profile email offline_access api.connectors.read api.connectors.invoke")},
		{"id_token_add_organizations", same, eq("true")},
		{"codex_cli_simplified_flow", same, eq("true")},
		{"originator", same, eq("codex_cli_rs")},
	}, got, present)
	if status, _, body := browse(t, so.URL); status != http.StatusOK {
		t.Fatalf("browser login: %d %s", status, body)
	}
	if end := p.ended(so.FlowID); !end.OK {
		t.Fatalf("browser login failed: %+v", end.Error)
	}
	exchange := fake.RequestsTo(upstreamtest.PathToken)[0]
	if ct := exchange.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("code exchange Content-Type %q", ct)
	}
	got, present = formFields(exchange.Form)
	compare(t, "code exchange", []field{
		{"grant_type", same, eq("authorization_code")},
		{"client_id", same, eq(upstreamtest.ClientID)},
		{"code", same, nonEmpty()},
		{"redirect_uri", same, eq(redirect)}, // exactly the authorize URL's
		{"code_verifier", same, func(v string) bool { return upstreamtest.S256(v) == u.Query().Get("code_challenge") }},
	}, got, present)
	checkIssuerHeaders(t, "code exchange", exchange.Header)

	// 2. Device login, with tokens that expire within the refresh margin.
	fake.SetTokenTTL(2 * time.Minute)
	fake.AutoApproveDevice(1)
	so = p.startOAuth("headless")
	if so.VerificationURL != issuer+upstreamtest.PathDevicePage {
		t.Errorf("verification URL %q", so.VerificationURL)
	}
	if end := p.ended(so.FlowID); !end.OK {
		t.Fatalf("device login failed: %+v", end.Error)
	}
	uc := fake.RequestsTo(upstreamtest.PathDeviceUserCode)[0]
	got, present = jsonFields(uc.Body)
	compare(t, "device usercode", []field{{"client_id", same, eq(upstreamtest.ClientID)}}, got, present)
	polls := fake.RequestsTo(upstreamtest.PathDeviceToken)
	got, present = jsonFields(polls[len(polls)-1].Body)
	compare(t, "device poll", []field{{"device_auth_id", same, nonEmpty()}, {"user_code", same, eq(so.UserCode)}}, got, present)
	tokens := fake.RequestsTo(upstreamtest.PathToken)
	got, present = formFields(tokens[len(tokens)-1].Form)
	compare(t, "device code exchange", []field{
		{"grant_type", same, eq("authorization_code")},
		{"client_id", same, eq(upstreamtest.ClientID)},
		{"code", same, nonEmpty()},
		{"redirect_uri", same, eq(issuer + upstreamtest.PathDeviceCallback)},
		{"code_verifier", same, nonEmpty()},
	}, got, present)

	// 3. A two-step tool turn; its first request needs a proactive refresh.
	fake.SetTokenTTL(time.Hour)
	if err := os.WriteFile(filepath.Join(p.ws, "a.txt"), []byte("alpha\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fake.PushCodex(
		upstreamtest.Step().Reasoning("Look at the file.", "enc-1").Call("call_1", "read", `{"path":"a.txt"}`).Reply(),
		upstreamtest.Text("It says alpha."),
	)
	r := p.chat(map[string]any{"message": "what is in a.txt?"})
	if r.StopReason != "end_turn" || r.Steps != 2 {
		t.Fatalf("turn = %+v", r)
	}
	refreshes := jsonRefreshes(t, fake)
	if len(refreshes) != 1 {
		t.Fatalf("%d refreshes before the turn, want 1", len(refreshes))
	}
	checkRefresh(t, refreshes[0], "proactive_expiry")

	// No model was chosen: the catalog's first entry, a Responses Lite
	// one, asked as the official client asks it.
	skel := loadSkeletons(t)
	turn := fake.RequestsTo(upstreamtest.PathCodexResponses)
	if len(turn) != 2 {
		t.Fatalf("%d turn requests", len(turn))
	}
	account := readAuth(t, p.home)["openai"]["accountId"].(string)
	for i, req := range turn {
		name := "Lite request " + strconv.Itoa(i+1)
		compareSkeleton(t, name, skel["lite_step"+strconv.Itoa(i+1)], req)
		checkTurnValues(t, name, req, r.SessionID, account, "gpt-6.2-sol", true)
		state := req.Header.Get("x-codex-turn-state")
		if (i == 0) != (state == "") || i == 1 && state != turnStateOf(t, fake, 0) {
			t.Errorf("%s: x-codex-turn-state %q", name, state)
		}
	}
	checkItems(t, turn[1].Body)

	// 4. A 401: auth.json is read again, then a refresh with
	// unauthorized_recovery, and the request goes through.
	fake.RevokeAccessTokens()
	fake.PushCodex(upstreamtest.Text("Still alpha."))
	if r2 := p.chat(map[string]any{"sessionId": r.SessionID, "message": "and now?"}); r2.StopReason != "end_turn" {
		t.Fatalf("turn after a 401 = %+v", r2)
	}
	refreshes = jsonRefreshes(t, fake)
	if len(refreshes) != 2 {
		t.Fatalf("%d refreshes, want 2", len(refreshes))
	}
	checkRefresh(t, refreshes[1], "unauthorized_recovery")
	if got := readAuth(t, p.home)["openai"]["accountId"]; got != account {
		t.Errorf("account id %v after refreshes, want the login's %s", got, account)
	}

	// 5. gpt-5.5, an entry without Lite: the standard request.
	fake.PushCodex(
		upstreamtest.Step().Reasoning("Look at the file.", "enc-1").Call("call_1", "read", `{"path":"a.txt"}`).Reply(),
		upstreamtest.Text("It says alpha."),
	)
	before := len(fake.RequestsTo(upstreamtest.PathCodexResponses))
	r5 := p.chat(map[string]any{"message": "what is in a.txt?", "model": "gpt-5.5"})
	if r5.StopReason != "end_turn" || r5.Steps != 2 {
		t.Fatalf("gpt-5.5 turn = %+v", r5)
	}
	turn = fake.RequestsTo(upstreamtest.PathCodexResponses)[before:]
	for i, req := range turn {
		name := "standard request " + strconv.Itoa(i+1)
		// deckhand asks for reasoning summaries, which it streams to the editor.
		compareSkeleton(t, name, skel["standard_step"+strconv.Itoa(i+1)], req, "summary")
		checkTurnValues(t, name, req, r5.SessionID, account, "gpt-5.5", false)
	}
	checkItems(t, turn[1].Body)
}

// checkTurnValues checks the values of a turn request that the skeletons
// leave out.
func checkTurnValues(t *testing.T, what string, req upstreamtest.Request, session, account, model string, lite bool) {
	t.Helper()
	h := req.Header
	for k, want := range map[string]string{
		"chatgpt-account-id":    account,
		"originator":            "deckhand", // honest identity: see README
		"version":               upstreamtest.WireVersion,
		"session-id":            session,
		"thread-id":             session,
		"x-client-request-id":   session,
		"accept":                "text/event-stream",
		"content-type":          "application/json",
		"x-codex-beta-features": "remote_compaction_v2",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: header %s = %q, want %q", what, k, got, want)
		}
	}
	if !strings.HasPrefix(h.Get("Authorization"), "Bearer ey") || !uaTurn.MatchString(h.Get("User-Agent")) {
		t.Errorf("%s: Authorization or User-Agent %q", what, h.Get("User-Agent"))
	}
	if got := h.Get(upstreamtest.HeaderLite) == "true"; got != lite {
		t.Errorf("%s: Lite header %v, want %v", what, got, lite)
	}
	body, _ := jsonFields(req.Body)
	want := map[string]string{"model": model, "stream": "true", "store": "false", "tool_choice": "auto",
		"include": `["reasoning.encrypted_content"]`, "prompt_cache_key": session, "text": `{"verbosity":"low"}`}
	if lite {
		want["parallel_tool_calls"], want["reasoning"] = "false", `{"effort":"low","context":"all_turns"}`
	} else {
		want["parallel_tool_calls"], want["reasoning"] = "true", `{"effort":"medium","summary":"auto"}`
	}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("%s: %s = %s, want %s", what, k, body[k], v)
		}
	}
}

func checkIssuerHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	if h.Get("originator") != "codex_cli_rs" || !uaShape.MatchString(h.Get("User-Agent")) {
		t.Errorf("%s headers: originator %q, User-Agent %q", what, h.Get("originator"), h.Get("User-Agent"))
	}
}

// jsonRefreshes are the refresh grants posted as JSON, in order.
func jsonRefreshes(t *testing.T, fake *upstreamtest.Server) []upstreamtest.Request {
	t.Helper()
	var out []upstreamtest.Request
	for _, r := range fake.RequestsTo(upstreamtest.PathToken) {
		if r.Form == nil {
			out = append(out, r)
		} else if r.Form.Get("grant_type") == "refresh_token" {
			t.Errorf("a refresh posted as a form")
		}
	}
	return out
}

func checkRefresh(t *testing.T, r upstreamtest.Request, reason string) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("refresh Content-Type %q", ct)
	}
	got, present := jsonFields(r.Body)
	compare(t, "refresh ("+reason+")", []field{
		{"client_id", same, eq(upstreamtest.ClientID)},
		{"grant_type", same, eq("refresh_token")},
		{"refresh_token", same, func(v string) bool { return strings.HasPrefix(v, "rt_") }},
		{"refresh_reason", same, eq(reason)},
	}, got, present)
	checkIssuerHeaders(t, "refresh", r.Header)
}

// turnStateOf is the x-codex-turn-state the fake handed out on the n-th
// turn request: a new one per first request of a turn, ts_<n>.
func turnStateOf(t *testing.T, fake *upstreamtest.Server, n int) string {
	t.Helper()
	return "ts_" + strconv.Itoa(n+1)
}

// checkItems holds the second step's input items against the CLI's shapes.
func checkItems(t *testing.T, body []byte) {
	t.Helper()
	var b struct {
		Input []map[string]any `json:"input"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		sort.Strings(k)
		return k
	}
	var kinds []string
	for _, it := range b.Input {
		if requestOwn(it) {
			continue // the skeletons check these
		}
		typ, _ := it["type"].(string)
		kinds = append(kinds, typ)
		switch typ {
		case "message":
			content, _ := it["content"].([]any)
			part, _ := content[0].(map[string]any)
			if it["role"] != "user" && it["role"] != "developer" || part["type"] != "input_text" || len(content) != 1 {
				t.Errorf("message item %v, want a user or developer message of input_text parts", it)
			}
		case "reasoning":
			// Replayed as the CLI does: with the service's id.
			if got := keys(it); !reflect.DeepEqual(got, []string{"content", "encrypted_content", "id", "summary", "type"}) || it["encrypted_content"] != "enc-1" || it["id"] != "rs_1" {
				t.Errorf("reasoning item %v", it)
			}
		case "function_call":
			// Replayed as the CLI does: with its id and status.
			if got := keys(it); !reflect.DeepEqual(got, []string{"arguments", "call_id", "id", "name", "status", "type"}) || it["call_id"] != "call_1" || it["name"] != "read" || it["id"] != "fc_1" || it["status"] != "completed" {
				t.Errorf("function_call item %v", it)
			}
		case "function_call_output":
			if got := keys(it); !reflect.DeepEqual(got, []string{"call_id", "output", "type"}) || it["call_id"] != "call_1" {
				t.Errorf("function_call_output item %v", it)
			}
			if _, ok := it["output"].(string); !ok {
				t.Errorf("function_call_output output is not a string: %v", it["output"])
			}
		default:
			t.Errorf("unexpected input item %v", it)
		}
	}
	if n := len(kinds); n < 4 || !reflect.DeepEqual(kinds[n-3:], []string{"reasoning", "function_call", "function_call_output"}) || kinds[n-4] != "message" {
		t.Errorf("input items %v, want …, the user's message, reasoning, function_call, function_call_output", kinds)
	}
}
