package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// authStatus is the protocol's AuthStatus.
type authStatus struct {
	Provider  string `json:"provider"`
	Type      string `json:"type"`
	Source    string `json:"source"`
	AccountID string `json:"accountId"`
	ExpiresAt string `json:"expiresAt"`
}

// oauthStart is the result of startOAuth.
type oauthStart struct {
	FlowID          string `json:"flowId"`
	Method          string `json:"method"`
	URL             string `json:"url"`
	UserCode        string `json:"userCode"`
	VerificationURL string `json:"verificationUrl"`
	IntervalSeconds int    `json:"intervalSeconds"`
	ExpiresAt       string `json:"expiresAt"`
}

// flowPoll is the result of pollDevice.
type flowPoll struct {
	FlowID string      `json:"flowId"`
	State  string      `json:"state"`
	Status *authStatus `json:"status"`
	Error  *wireError  `json:"error"`
}

// flowEnd is the auth/completed notification.
type flowEnd struct {
	FlowID string     `json:"flowId"`
	Method string     `json:"method"`
	OK     bool       `json:"ok"`
	Error  *wireError `json:"error"`
	Status authStatus `json:"status"`
}

// wantMethods are connect's methods, exactly and in order.
var wantMethods = []map[string]string{
	{"id": "browser", "label": "ChatGPT Plus/Pro (browser)"},
	{"id": "headless", "label": "ChatGPT Plus/Pro (headless)"},
	{"id": "apiKey", "label": "Manually enter API key"},
}

func (p *proc) status() authStatus {
	p.t.Helper()
	var st authStatus
	p.ok("authStatus", map[string]any{}, &st)
	return st
}

func (p *proc) startOAuth(method string) oauthStart {
	p.t.Helper()
	var r oauthStart
	// expiresAt is in whole seconds, and a busy machine may answer after
	// a 1 s flow expired: it must come after the second the flow began.
	sent := time.Now().Truncate(time.Second)
	p.ok("startOAuth", map[string]any{"provider": "openai", "method": method, "openBrowser": false}, &r)
	if r.FlowID == "" || r.Method != method {
		p.t.Fatalf("startOAuth %s = %+v", method, r)
	}
	if exp, err := time.Parse(time.RFC3339, r.ExpiresAt); err != nil || !exp.After(sent) {
		p.t.Errorf("expiresAt %q is not an RFC 3339 time in the future", r.ExpiresAt)
	}
	return r
}

func (p *proc) poll(flowID string, wait bool) flowPoll {
	p.t.Helper()
	var r flowPoll
	p.ok("pollDevice", map[string]any{"flowId": flowID, "wait": wait}, &r)
	if r.FlowID != flowID {
		p.t.Errorf("pollDevice answered for flow %q, want %q", r.FlowID, flowID)
	}
	return r
}

// ended waits for the auth/completed of flowID.
func (p *proc) ended(flowID string) flowEnd {
	p.t.Helper()
	m := p.waitFor("auth/completed", func(m msg) bool {
		var e flowEnd
		return json.Unmarshal(m.Params, &e) == nil && e.FlowID == flowID
	}, 60*time.Second)
	return decode[flowEnd](p.t, m.Params)
}

// freePort finds a port nobody listens on (there is a short race until
// deckhand binds it, which the tests holding a port accept by not running in
// parallel).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func portEnv(port int) []string { return []string{"DECKHAND_OAUTH_PORT=" + strconv.Itoa(port)} }

// browse plays the browser: it GETs rawURL following redirects and returns
// where it landed.
func browse(t *testing.T, rawURL string) (status int, landed *url.URL, body string) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL, string(b)
}

func checkMode(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("%s mode %o, want 600", path, mode)
	}
}

// checkOAuthStored checks the oauth entry a login wrote.
func checkOAuthStored(t *testing.T, home string) map[string]any {
	t.Helper()
	checkMode(t, filepath.Join(home, "auth.json"))
	e := readAuth(t, home)["openai"]
	access, _ := e["access"].(string)
	refresh, _ := e["refresh"].(string)
	if e["type"] != "oauth" || access == "" || refresh == "" || e["accountId"] != upstreamtest.DefaultAccountID {
		t.Fatalf("auth.json openai entry has type %v, accountId %v, access and refresh set: %t, %t",
			e["type"], e["accountId"], access != "", refresh != "")
	}
	exp, _ := e["expires"].(float64)
	if int64(exp) <= time.Now().UnixMilli() {
		t.Errorf("expires %v is not epoch ms in the future", e["expires"])
	}
	return e
}

func checkOAuthStatus(t *testing.T, st authStatus) {
	t.Helper()
	if st.Provider != "openai" || st.Type != "oauth" || st.Source != "stored" || st.AccountID != upstreamtest.DefaultAccountID {
		t.Errorf("status = %+v, want openai oauth stored %s", st, upstreamtest.DefaultAccountID)
	}
	if exp, err := time.Parse(time.RFC3339, st.ExpiresAt); err != nil || !exp.After(time.Now()) {
		t.Errorf("status expiresAt %q", st.ExpiresAt)
	}
}

func TestConnect(t *testing.T) {
	t.Parallel()
	p := start(t, opts{})
	p.initialize(false)

	var res struct {
		Provider string              `json:"provider"`
		Methods  []map[string]string `json:"methods"`
		Status   authStatus          `json:"status"`
	}
	p.ok("connect", map[string]any{"provider": "openai"}, &res)
	if res.Provider != "openai" || !reflect.DeepEqual(res.Methods, wantMethods) {
		t.Errorf("connect = %+v, want openai and methods %v", res, wantMethods)
	}
	if res.Status != (authStatus{Provider: "openai", Type: "none"}) {
		t.Errorf("status before login = %+v", res.Status)
	}

	for _, params := range []map[string]any{
		{"provider": "openai", "method": "apiKey", "apiKey": "   "},
		{"provider": "openai", "method": "apiKey"},
	} {
		p.fails("connect", params, -32602)
	}
	e := p.fails("connect", map[string]any{"provider": "anthropic"}, -32602)
	if !strings.Contains(e.Message, "openai") {
		t.Errorf("message %q does not name the provider served", e.Message)
	}

	const key = "sk-e2e-connect-7f3a"
	p.ok("connect", map[string]any{"provider": "openai", "method": "apiKey", "apiKey": key}, &res)
	if want := (authStatus{Provider: "openai", Type: "api", Source: "stored"}); res.Status != want {
		t.Errorf("status after connect = %+v, want %+v", res.Status, want)
	}
	if !reflect.DeepEqual(res.Methods, wantMethods) {
		t.Errorf("methods after connect = %v", res.Methods)
	}
	checkMode(t, filepath.Join(p.home, "auth.json"))
	want := map[string]map[string]any{"openai": {"type": "api", "key": key}}
	if got := readAuth(t, p.home); !reflect.DeepEqual(got, want) {
		t.Errorf("auth.json = %v, want %v", got, want)
	}
	if st := p.status(); st.Type != "api" || st.Source != "stored" {
		t.Errorf("authStatus = %+v", st)
	}
}

func TestBrowserLogin(t *testing.T) {
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	port := freePort(t)
	p := start(t, opts{fake: fake, env: portEnv(port)})
	p.initialize(false)

	so := p.startOAuth("browser")
	u, err := url.Parse(so.URL)
	if err != nil {
		t.Fatal(err)
	}
	if base := u.Scheme + "://" + u.Host + u.Path; base != fake.Issuer()+upstreamtest.PathAuthorize {
		t.Errorf("url base %s, want the issuer's authorize endpoint", base)
	}
	q := u.Query()
	redirect := "http://localhost:" + strconv.Itoa(port) + "/auth/callback"
	for k, want := range map[string]string{
		"response_type":              "code",
		"client_id":                  upstreamtest.ClientID,
		"redirect_uri":               redirect,
		"scope":                      "openid profile email offline_access api.connectors.read api.connectors.invoke",
		"code_challenge_method":      "S256",
		"id_token_add_organizations": "true",
		"codex_cli_simplified_flow":  "true",
		"originator":                 "codex_cli_rs",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("url param %s = %q, want %q", k, got, want)
		}
	}
	if q.Get("state") == "" || q.Get("code_challenge") == "" {
		t.Errorf("url lacks state or code_challenge: %s", so.URL)
	}

	status, landed, _ := browse(t, so.URL)
	if status != http.StatusOK || landed.Host != "localhost:"+strconv.Itoa(port) {
		t.Errorf("browser landed on %s with %d, want deckhand's page with 200", landed, status)
	}
	end := p.ended(so.FlowID)
	if !end.OK || end.Method != "browser" || end.Error != nil {
		t.Errorf("auth/completed = %+v", end)
	}
	checkOAuthStatus(t, end.Status)
	checkOAuthStatus(t, p.status())
	checkOAuthStored(t, p.home)
	if r := p.poll(so.FlowID, false); r.State != "complete" || r.Status == nil || r.Status.Type != "oauth" {
		t.Errorf("pollDevice after the login = %+v", r)
	}

	posts := fake.RequestsTo(upstreamtest.PathToken)
	if len(posts) != 1 {
		t.Fatalf("%d token requests, want 1", len(posts))
	}
	f := posts[0].Form
	if f.Get("grant_type") != "authorization_code" || f.Get("code_verifier") == "" || f.Get("redirect_uri") != redirect {
		t.Errorf("token request form = %v", f)
	}
	if upstreamtest.S256(f.Get("code_verifier")) != q.Get("code_challenge") {
		t.Errorf("code_verifier does not match the URL's code_challenge")
	}
	if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
		c.Close()
		t.Errorf("the callback listener is still open after the flow ended")
	}
}

func TestBrowserForgedState(t *testing.T) {
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	port := freePort(t)
	p := start(t, opts{fake: fake, env: portEnv(port)})
	p.initialize(false)
	so := p.startOAuth("browser")

	forged := "http://localhost:" + strconv.Itoa(port) + "/auth/callback?code=x&state=forged"
	if status, _, _ := browse(t, forged); status != http.StatusBadRequest {
		t.Errorf("forged callback answered %d, want 400", status)
	}
	if r := p.poll(so.FlowID, false); r.State != "pending" {
		t.Fatalf("after a forged callback the flow is %q, want pending", r.State)
	}
	if n := len(p.notifications("auth/completed")); n != 0 {
		t.Fatalf("a forged callback ended the flow (%d auth/completed)", n)
	}

	if status, _, _ := browse(t, so.URL); status != http.StatusOK {
		t.Errorf("real browser run answered %d", status)
	}
	if end := p.ended(so.FlowID); !end.OK {
		t.Errorf("auth/completed = %+v", end)
	}
	if n := len(fake.RequestsTo(upstreamtest.PathToken)); n != 1 {
		t.Errorf("%d token requests, want only the real one", n)
	}
}

func TestBrowserTimeout(t *testing.T) {
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	p := start(t, opts{fake: fake, env: portEnv(freePort(t)), args: []string{"--browser-timeout", "1s"}})
	p.initialize(false)
	so := p.startOAuth("browser")
	end := p.ended(so.FlowID)
	if end.OK || end.Error == nil || end.Error.Message == "" || end.Status.Type != "none" {
		t.Errorf("auth/completed = %+v, want a failure with an error", end)
	}
	if r := p.poll(so.FlowID, false); r.State != "expired" {
		t.Errorf("pollDevice = %+v, want expired", r)
	}
}

func TestBrowserBusyPort(t *testing.T) {
	cancels := make(chan struct{}, 8)
	holder := holdPort(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cancel" {
			select {
			case cancels <- struct{}{}:
			default:
			}
		}
		io.WriteString(w, "ok") // answers, and never lets go
	}))
	port := holder.Addr().(*net.TCPAddr).Port
	p := start(t, opts{env: portEnv(port)})
	p.initialize(false)
	res, err := p.call("startOAuth", map[string]any{"provider": "openai", "method": "browser", "openBrowser": false})
	if err == nil {
		t.Fatalf("startOAuth on a held port = %s, want an error", res)
	}
	if !strings.Contains(err.Message, strconv.Itoa(port)) {
		t.Errorf("message %q does not name port %d", err.Message, port)
	}
	if len(cancels) == 0 {
		t.Errorf("the port's holder was not asked to cancel")
	}
	p.status() // still serving
}

// holdPort holds a plain HTTP listener on a free port until the test ends.
func holdPort(t *testing.T, h http.Handler) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ln
}

func TestBrowserTakeover(t *testing.T) {
	for _, twoProcs := range []bool{true, false} {
		name := "same process"
		if twoProcs {
			name = "two processes"
		}
		t.Run(name, func(t *testing.T) {
			fake := upstreamtest.New()
			t.Cleanup(fake.Close)
			port := freePort(t)
			first := start(t, opts{fake: fake, env: portEnv(port)})
			first.initialize(false)
			second := first
			if twoProcs {
				second = start(t, opts{fake: fake, env: portEnv(port)})
				second.initialize(false)
			}
			a := first.startOAuth("browser")
			b := second.startOAuth("browser")
			end := first.ended(a.FlowID)
			if end.OK || end.Error == nil {
				t.Errorf("first flow's auth/completed = %+v, want a failure", end)
			}
			if r := first.poll(a.FlowID, false); r.State != "cancelled" {
				t.Errorf("first flow = %+v, want cancelled", r)
			}
			if status, _, _ := browse(t, b.URL); status != http.StatusOK {
				t.Errorf("second flow's callback answered %d", status)
			}
			if end := second.ended(b.FlowID); !end.OK {
				t.Errorf("second flow's auth/completed = %+v", end)
			}
			checkOAuthStatus(t, second.status())
		})
	}
}

func TestCompleteOAuth(t *testing.T) {
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	p := start(t, opts{fake: fake, env: portEnv(freePort(t))})
	p.initialize(false)
	so := p.startOAuth("browser")

	c := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(so.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || loc == "" {
		t.Fatalf("authorize answered %d with Location %q", resp.StatusCode, loc)
	}

	forged, _ := url.Parse(loc)
	fq := forged.Query()
	fq.Set("state", "forged")
	forged.RawQuery = fq.Encode()
	p.fails("completeOAuth", map[string]any{"flowId": so.FlowID, "callbackUrl": forged.String()}, -32602)
	if r := p.poll(so.FlowID, false); r.State != "pending" {
		t.Fatalf("after a wrong state the flow is %q, want pending", r.State)
	}
	p.fails("completeOAuth", map[string]any{"flowId": "flow_nope", "callbackUrl": loc}, -32602)

	var st authStatus
	p.ok("completeOAuth", map[string]any{"flowId": so.FlowID, "callbackUrl": loc}, &st)
	checkOAuthStatus(t, st)
	if end := p.ended(so.FlowID); !end.OK {
		t.Errorf("auth/completed = %+v", end)
	}
	checkOAuthStored(t, p.home)
}

func TestDeviceLogin(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	fake.SetDeviceInterval("1")
	p := start(t, opts{fake: fake})
	p.initialize(false)

	so := p.startOAuth("headless")
	if so.UserCode == "" || so.UserCode != fake.LastUserCode() {
		t.Errorf("userCode %q, the issuer handed out %q", so.UserCode, fake.LastUserCode())
	}
	if so.VerificationURL != fake.Issuer()+upstreamtest.PathDevicePage || so.IntervalSeconds != 1 {
		t.Errorf("startOAuth headless = %+v", so)
	}
	if r := p.poll(so.FlowID, false); r.State != "pending" || r.Status != nil {
		t.Errorf("pollDevice before approval = %+v", r)
	}
	if !fake.ApproveDevice("") {
		t.Fatal("no pending device code to approve")
	}
	r := p.poll(so.FlowID, true)
	if r.State != "complete" || r.Status == nil || r.Error != nil {
		t.Fatalf("pollDevice after approval = %+v", r)
	}
	checkOAuthStatus(t, *r.Status)
	end := p.ended(so.FlowID)
	if !end.OK || end.Method != "headless" {
		t.Errorf("auth/completed = %+v", end)
	}
	checkOAuthStatus(t, p.status())
	checkOAuthStored(t, p.home)
}

func TestDeviceLoginEndings(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		act   func(t *testing.T, fake *upstreamtest.Server, p *proc, flowID string)
		state string
	}{
		{name: "denied", state: "denied", act: func(t *testing.T, fake *upstreamtest.Server, _ *proc, _ string) {
			if !fake.DenyDevice("") {
				t.Fatal("no pending device code to deny")
			}
		}},
		{name: "expired by the issuer", state: "expired", act: func(t *testing.T, fake *upstreamtest.Server, _ *proc, _ string) {
			if !fake.ExpireDevice("") {
				t.Fatal("no pending device code to expire")
			}
		}},
		{name: "device timeout", state: "expired", args: []string{"--device-timeout", "1s"}},
		{name: "cancelled", state: "cancelled", act: func(t *testing.T, _ *upstreamtest.Server, p *proc, flowID string) {
			var c struct{ Cancelled bool }
			p.ok("cancel", map[string]any{"flowId": flowID}, &c)
			if !c.Cancelled {
				t.Errorf("cancel of a pending flow = false")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := upstreamtest.New()
			t.Cleanup(fake.Close)
			fake.SetDeviceInterval("1")
			p := start(t, opts{fake: fake, args: tc.args})
			p.initialize(false)
			so := p.startOAuth("headless")
			if tc.act != nil {
				tc.act(t, fake, p, so.FlowID)
			}
			if r := p.poll(so.FlowID, true); r.State != tc.state || r.Status != nil || r.Error == nil {
				t.Errorf("pollDevice = %+v, want %s with an error", r, tc.state)
			}
			end := p.ended(so.FlowID)
			if end.OK || end.Error == nil || end.Method != "headless" || end.Status.Type != "none" {
				t.Errorf("auth/completed = %+v, want a failure", end)
			}
			var c struct{ Cancelled *bool }
			p.ok("cancel", map[string]any{"flowId": so.FlowID}, &c)
			if c.Cancelled == nil || *c.Cancelled {
				t.Errorf("cancel of an ended flow = %v, want false", c.Cancelled)
			}
			if _, err := os.Stat(filepath.Join(p.home, "auth.json")); err == nil {
				t.Errorf("a failed login wrote auth.json")
			}
			if st := p.status(); st.Type != "none" {
				t.Errorf("status = %+v", st)
			}
		})
	}
}

func TestDeviceLoginDisabled(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	fake.SetDeviceLoginDisabled(true)
	p := start(t, opts{fake: fake})
	p.initialize(false)
	res, err := p.call("startOAuth", map[string]any{"provider": "openai", "method": "headless"})
	if err == nil {
		t.Fatalf("startOAuth headless = %s, want an error", res)
	}
	msg := strings.ReplaceAll(strings.ToLower(err.Message), "-", " ")
	if !strings.Contains(msg, "enable") || !strings.Contains(msg, "device code login") {
		t.Errorf("message %q does not say to enable device code login", err.Message)
	}
	p.status() // still serving
}

func TestCancelRequestOnSlowPoll(t *testing.T) {
	both(t, func(t *testing.T, lsp bool) {
		fake := upstreamtest.New()
		t.Cleanup(fake.Close)
		p := start(t, opts{fake: fake, lsp: lsp})
		p.initialize(false)
		so := p.startOAuth("headless")

		id, ch := p.send("pollDevice", map[string]any{"flowId": so.FlowID, "wait": true})
		p.status() // answered while the poll waits
		select {
		case m := <-ch:
			t.Fatalf("pollDevice {wait} on a pending flow answered at once: %s %v", m.Result, m.Error)
		default:
		}
		p.notify("$/cancelRequest", map[string]any{"id": id})
		res, err := p.await(ch, "pollDevice")
		if err == nil || err.Code != -32800 {
			t.Fatalf("cancelled pollDevice = %s, %v; want -32800", res, err)
		}
		if r := p.poll(so.FlowID, false); r.State != "pending" {
			t.Errorf("cancelling the request changed the flow to %q", r.State)
		}
	})
}
