package e2e

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/tools/mcp/mcptest"
	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// mcpStdio is a config.json entry that runs this test binary as the stdio
// test server, writing its pid and its child's to pidFile.
func mcpStdio(t *testing.T, pidFile string, extra map[string]any) map[string]any {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{mcptest.ModeEnv: "stdio"}
	if pidFile != "" {
		env[mcptest.PIDFileEnv] = pidFile
	}
	s := map[string]any{"command": self, "env": env}
	for k, v := range extra {
		s[k] = v
	}
	return s
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// toolList is the function tools of a request: top-level, or for a Lite
// request inside the additional_tools item's namespaces.
func toolList(req upstreamtest.Request) []map[string]any {
	body := req.JSON()
	var out []map[string]any
	add := func(list any) {
		tools, _ := list.([]any)
		for _, tl := range tools {
			m, ok := tl.(map[string]any)
			if !ok {
				continue
			}
			if m["type"] == "namespace" {
				nested, _ := m["tools"].([]any)
				for _, n := range nested {
					if nm, ok := n.(map[string]any); ok {
						out = append(out, nm)
					}
				}
				continue
			}
			out = append(out, m)
		}
	}
	add(body["tools"])
	input, _ := body["input"].([]any)
	for _, it := range input {
		if m, ok := it.(map[string]any); ok && m["type"] == "additional_tools" {
			add(m["tools"])
		}
	}
	return out
}

// toolNames are the names of a request's function tools.
func toolNames(req upstreamtest.Request) []string {
	var out []string
	for _, m := range toolList(req) {
		if n, ok := m["name"].(string); ok {
			out = append(out, n)
		}
	}
	return out
}

func toolDef(req upstreamtest.Request, name string) map[string]any {
	for _, m := range toolList(req) {
		if m["name"] == name {
			return m
		}
	}
	return nil
}

// pids reads the pids a test server wrote.
func pids(t *testing.T, file string) []int {
	t.Helper()
	data := waitFile(t, file, 2, 10*time.Second)
	var out []int
	for _, f := range strings.Fields(data) {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	if len(out) != 2 {
		t.Fatalf("pid file %q", data)
	}
	return out
}

func waitGone(t *testing.T, pids []int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		if !waitExit(pid, time.Until(deadline)) {
			t.Fatalf("process %d still runs %s", pid, what)
		}
	}
}

func mcpList(p *proc, sessionID string) map[string]map[string]any {
	var res struct {
		Servers []map[string]any `json:"servers"`
	}
	params := map[string]any{}
	if sessionID != "" {
		params["sessionId"] = sessionID
	}
	p.ok("mcp/list", params, &res)
	out := map[string]map[string]any{}
	for _, s := range res.Servers {
		out[s["name"].(string)] = s
	}
	return out
}

func TestMCPStdioToolIsOfferedAskedCalledAndDiesWithDeckhand(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	pidFile := filepath.Join(t.TempDir(), "pids")
	writeJSON(t, filepath.Join(home, "config.json"), map[string]any{"mcpServers": map[string]any{
		"test": mcpStdio(t, pidFile, nil),
	}})
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home})
	p.onRequest = func(m msg) any {
		if m.Method == "permission/request" {
			return map[string]any{"decision": "allow"}
		}
		return nil
	}
	init := p.initialize(true)
	if caps, _ := init["capabilities"].(map[string]any); caps["mcp"] != true {
		t.Errorf("capabilities = %v, want mcp: true", init["capabilities"])
	}
	if st := mcpList(p, "")["test"]; st["status"] != "stopped" || st["source"] != "config" {
		t.Errorf("before any session: %v", st)
	}

	fake.PushCodex(upstreamtest.Step().Call("m1", "mcp__test__echo", `{"text":"hi"}`).Reply(), upstreamtest.Text("done"))
	// gpt-5.5 gets its tools directly (the default model is a code-mode
	// one, whose MCP tools are nested in exec: codemode_test.go).
	r := p.chat(map[string]any{"message": "echo hi", "model": "gpt-5.5"})
	if r.StopReason != "end_turn" || r.Steps != 2 {
		t.Fatalf("result %+v", r)
	}
	reqs := fake.RequestsTo(codexPath)
	def := toolDef(reqs[0], "mcp__test__echo")
	if def == nil {
		t.Fatalf("the MCP tool was not offered: %v", toolNames(reqs[0]))
	}
	if props, _ := def["parameters"].(map[string]any)["properties"].(map[string]any); props["text"] == nil {
		t.Errorf("the input schema was not passed through: %v", def["parameters"])
	}
	var mcpNames []string
	for _, n := range toolNames(reqs[0]) {
		if strings.HasPrefix(n, "mcp__") {
			mcpNames = append(mcpNames, n)
		}
	}
	if got := strings.Join(mcpNames, " "); got != "mcp__test__add mcp__test__crash mcp__test__echo mcp__test__fail mcp__test__grow mcp__test__image mcp__test__pwd mcp__test__sleep" {
		t.Errorf("MCP tools in the request, in order: %s", got)
	}
	if toolDef(reqs[0], "read_mcp_resource") == nil {
		t.Errorf("the resource tools were not offered: %v", toolNames(reqs[0]))
	}
	if out := outputsOf(input(t, reqs, 1))["m1"]; out != "echo: hi" {
		t.Errorf("the model got %q", out)
	}
	p.mu.Lock()
	req := p.requests[0]
	p.mu.Unlock()
	var perm struct {
		Tool    string
		Preview struct {
			Server, Tool string
			Arguments    map[string]any
		}
	}
	json.Unmarshal(req.Params, &perm)
	if perm.Tool != "mcp__test__echo" || perm.Preview.Server != "test" || perm.Preview.Tool != "echo" || perm.Preview.Arguments["text"] != "hi" {
		t.Errorf("permission/request %s", req.Params)
	}
	st := mcpList(p, r.SessionID)["test"]
	if st["status"] != "ready" || !strings.Contains(toJSON(st["tools"]), "mcp__test__echo") {
		t.Errorf("mcp/list: %v", st)
	}
	p.waitFor("mcp/status", func(m msg) bool { return strings.Contains(string(m.Params), `"ready"`) }, 20*time.Second)
	if !strings.Contains(p.log(), mcptest.StderrLine) {
		t.Errorf("the server's stderr is not in the log")
	}

	procs := pids(t, pidFile)
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait(10 * time.Second)
	waitGone(t, procs, "after deckhand was killed")
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestMCPTrustedRunsWithoutAskingAndAFailedServerLeavesTheTurnGoing(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	pidFile := filepath.Join(t.TempDir(), "pids")
	writeJSON(t, filepath.Join(home, "config.json"), map[string]any{"mcpServers": map[string]any{
		"test":   mcpStdio(t, pidFile, map[string]any{"trusted": true}),
		"broken": map[string]any{"command": "/nonexistent/mcp-server"},
	}})
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home})
	p.initialize(false) // cannot ask: only a trusted server's tools may run
	fake.PushCodex(upstreamtest.Step().Call("m1", "mcp__test__add", `{"a":2,"b":40}`).Call("m2", "mcp__test__pwd", `{}`).Reply(), upstreamtest.Text("42"))
	r := p.chat(map[string]any{"message": "add"})
	if r.StopReason != "end_turn" {
		t.Fatalf("result %+v", r)
	}
	reqs := fake.RequestsTo(codexPath)
	if out := outputsOf(input(t, reqs, 1))["m1"]; out != "42" {
		t.Errorf("the model got %q", out)
	}
	root, _ := filepath.EvalSymlinks(p.ws)
	if out := outputsOf(input(t, reqs, 1))["m2"]; out != root {
		t.Errorf("a stdio server runs in %q, want the workspace root %q", out, root)
	}
	list := mcpList(p, r.SessionID)
	if b := list["broken"]; b["status"] != "failed" || b["error"] == nil {
		t.Errorf("broken: %v", b)
	}
	for _, n := range toolNames(reqs[0]) {
		if strings.HasPrefix(n, "mcp__broken") {
			t.Errorf("a failed server's tool was offered: %s", n)
		}
	}

	// The session closing (deleted) takes its servers with it.
	procs := pids(t, pidFile)
	p.ok("sessions/delete", map[string]any{"sessionId": r.SessionID}, nil)
	waitGone(t, procs, "after the session was deleted")
}

func TestMCPHTTPServerFromInitializeWithBearerToken(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(mcptest.Handler("tok-e2e-123"))
	t.Cleanup(srv.Close) // after deckhand's cleanup: its event stream holds a connection
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home, env: []string{"E2E_MCP_TOKEN=tok-e2e-123"}})
	p.onRequest = func(m msg) any {
		if m.Method == "permission/request" {
			return map[string]any{"decision": "allowAlways"}
		}
		return nil
	}
	p.ok("initialize", map[string]any{"workspaceRoot": p.ws, "capabilities": map[string]any{"permissions": true},
		"mcpServers": map[string]any{"web": map[string]any{"url": srv.URL, "bearerTokenEnv": "E2E_MCP_TOKEN"}}}, nil)
	fake.PushCodex(upstreamtest.Step().Call("m1", "mcp__web__image", `{}`).Call("m2", "mcp__web__fail", `{}`).Reply(), upstreamtest.Text("ok"))
	r := p.chat(map[string]any{"message": "go"})
	if r.StopReason != "end_turn" {
		t.Fatalf("result %+v", r)
	}
	items := input(t, fake.RequestsTo(codexPath), 1)
	outs := outputsOf(items)
	var parts []any
	for _, it := range items {
		if it["type"] == "function_call_output" && it["call_id"] == "m1" {
			parts, _ = it["output"].([]any)
		}
	}
	if len(parts) != 2 || !strings.Contains(toJSON(parts[0]), "a red dot") ||
		parts[1].(map[string]any)["type"] != "input_image" || !strings.HasPrefix(toJSON(parts[1].(map[string]any)["image_url"]), `"data:image/png;base64,iVBOR`) {
		t.Errorf("the image did not reach the model as an image: %s", toJSON(parts))
	}
	if !strings.Contains(outs["m2"], "on purpose") {
		t.Errorf("fail: %q", outs["m2"])
	}
	if st := mcpList(p, r.SessionID)["web"]; st["status"] != "ready" || st["transport"] != "http" || st["source"] != "client" {
		t.Errorf("web: %v", st)
	}
	if strings.Contains(p.log(), "tok-e2e-123") {
		t.Errorf("the bearer token reached the log")
	}
	for _, f := range []string{"sessions"} {
		filepath.Walk(filepath.Join(home, f), func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				if b, _ := os.ReadFile(path); strings.Contains(string(b), "tok-e2e-123") {
					t.Errorf("the bearer token reached %s", path)
				}
			}
			return nil
		})
	}
}

func TestMCPWorkspaceFileStartsOnlyOnceAllowed(t *testing.T) {
	t.Parallel()
	home, ws := t.TempDir(), t.TempDir()
	writeJSON(t, filepath.Join(ws, ".mcp.json"), map[string]any{"mcpServers": map[string]any{
		"proj": mcpStdio(t, "", map[string]any{"trusted": true}), // trusted is not honoured here
	}})
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())

	run := func(decisions ...string) (*proc, []msg) {
		p := start(t, opts{fake: fake, home: home, ws: ws})
		var asked []msg
		p.onRequest = func(m msg) any {
			if m.Method != "permission/request" {
				return nil
			}
			asked = append(asked, m)
			d := "deny"
			if len(decisions) > 0 {
				d, decisions = decisions[0], decisions[1:]
			}
			return map[string]any{"decision": d}
		}
		p.initialize(true)
		return p, asked
	}

	// Denied: not started, reported, not offered.
	p, _ := run("deny")
	fake.PushCodex(upstreamtest.Text("fine"))
	r := p.chat(map[string]any{"message": "hi"})
	if n := toolNames(fake.RequestsTo(codexPath)[0]); strings.Contains(strings.Join(n, " "), "mcp__proj") {
		t.Errorf("a denied workspace server's tools were offered: %v", n)
	}
	if st := mcpList(p, r.SessionID)["proj"]; st["status"] != "failed" || st["source"] != "workspace" {
		t.Errorf("denied: %v", st)
	}
	p.mu.Lock()
	first := p.requests[0]
	p.mu.Unlock()
	var ask struct {
		Tool    string
		Preview struct {
			Path    string
			Servers []struct{ Name, Command string }
		}
	}
	json.Unmarshal(first.Params, &ask)
	if ask.Tool != "mcp_config" || ask.Preview.Path != filepath.Join(p.ws, ".mcp.json") && !strings.HasSuffix(ask.Preview.Path, ".mcp.json") ||
		len(ask.Preview.Servers) != 1 || ask.Preview.Servers[0].Name != "proj" || ask.Preview.Servers[0].Command == "" {
		t.Errorf("mcp_config request: %s", first.Params)
	}

	// Allowed in a new session: started, and its tool asks per call.
	fake.PushCodex(upstreamtest.Step().Call("m1", "mcp__proj__echo", `{"text":"x"}`).Reply(), upstreamtest.Text("ok"))
	p.onRequest = func(m msg) any { return map[string]any{"decision": "allow"} }
	r = p.chat(map[string]any{"message": "again"})
	reqs := fake.RequestsTo(codexPath)
	if out := outputsOf(input(t, reqs, len(reqs)-1))["m1"]; out != "echo: x" {
		t.Errorf("after allowing: %q", out)
	}
	p.mu.Lock()
	var tools []string
	for _, m := range p.requests {
		var q struct{ Tool string }
		json.Unmarshal(m.Params, &q)
		tools = append(tools, q.Tool)
	}
	p.mu.Unlock()
	if strings.Join(tools, " ") != "mcp_config mcp_config mcp__proj__echo" {
		t.Errorf("permission requests: %v", tools)
	}

	// A new process remembers the file; a changed file is asked about again.
	p2, _ := run()
	fake.PushCodex(upstreamtest.Text("hi"))
	p2.chat(map[string]any{"message": "hi"})
	p2.mu.Lock()
	n := len(p2.requests)
	p2.mu.Unlock()
	if n != 0 {
		t.Errorf("an allowed, unchanged .mcp.json was asked about again")
	}
	writeJSON(t, filepath.Join(ws, ".mcp.json"), map[string]any{"mcpServers": map[string]any{
		"proj": mcpStdio(t, "", map[string]any{"args": []string{"changed"}}),
	}})
	fake.PushCodex(upstreamtest.Text("hi"))
	p2.chat(map[string]any{"message": "hi"})
	p2.mu.Lock()
	n = len(p2.requests)
	p2.mu.Unlock()
	if n != 1 {
		t.Errorf("a changed .mcp.json was not asked about (%d requests)", n)
	}
}

func TestMCPServersOfACPSessionNew(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(t.TempDir(), "pids")
	fake.SetAPIKey("sk-test-acp")
	p := start(t, opts{fake: fake, args: []string{"acp"}, env: []string{"OPENAI_API_KEY=sk-test-acp"}})
	var asked []string
	p.onRequest = func(m msg) any {
		if m.Method == "session/request_permission" {
			asked = append(asked, string(m.Params))
			return map[string]any{"outcome": map[string]any{"outcome": "selected", "optionId": "allow"}}
		}
		return nil
	}
	var init struct {
		AgentCapabilities struct {
			McpCapabilities struct{ HTTP, SSE bool } `json:"mcpCapabilities"`
		} `json:"agentCapabilities"`
	}
	p.ok("initialize", map[string]any{"protocolVersion": 1, "clientCapabilities": map[string]any{}}, &init)
	if !init.AgentCapabilities.McpCapabilities.HTTP {
		t.Errorf("mcpCapabilities not advertised")
	}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	p.ok("session/new", map[string]any{"cwd": p.ws, "mcpServers": []any{map[string]any{
		"name": "acpsrv", "command": self, "args": []string{},
		"env": []any{map[string]any{"name": mcptest.ModeEnv, "value": "stdio"}, map[string]any{"name": mcptest.PIDFileEnv, "value": pidFile}},
	}}}, &sess)
	fake.PushAPI(upstreamtest.Step().Call("m1", "mcp__acpsrv__echo", `{"text":"from acp"}`).Reply(), upstreamtest.Text("done"))
	var res struct {
		StopReason string `json:"stopReason"`
	}
	p.ok("session/prompt", map[string]any{"sessionId": sess.SessionID, "prompt": []any{map[string]any{"type": "text", "text": "go"}}}, &res)
	if res.StopReason != "end_turn" {
		t.Fatalf("stopReason %q", res.StopReason)
	}
	reqs := fake.RequestsTo("/v1/responses")
	if out := outputsOf(input(t, reqs, 1))["m1"]; out != "echo: from acp" {
		t.Errorf("the model got %q", out)
	}
	if len(asked) != 1 || !strings.Contains(asked[0], "mcp__acpsrv__echo") {
		t.Errorf("permission requests: %v", asked)
	}
	procs := pids(t, pidFile)
	p.stdin.Close()
	p.wait(20 * time.Second)
	waitGone(t, procs, "after the ACP connection closed")
}

func TestMCPServersThatCrashHangOrFloodLeaveTheSessionWorking(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	writeJSON(t, filepath.Join(home, "config.json"), map[string]any{"mcpServers": map[string]any{
		"crashy": mcpStdio(t, "", map[string]any{"trusted": true}),
		"hang":   mcpStdio(t, "", map[string]any{"env": map[string]string{mcptest.ModeEnv: "stdio", mcptest.HangEnv: "1"}, "startTimeoutMs": 500}),
		"slow":   mcpStdio(t, "", map[string]any{"trusted": true, "toolTimeoutMs": 300}),
		"flood":  mcpStdio(t, "", map[string]any{"trusted": true, "env": map[string]string{mcptest.ModeEnv: "stdio", mcptest.FloodEnv: "20000"}}),
	}})
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home})
	p.initialize(false)
	fake.PushCodex(upstreamtest.Step().
		Call("c1", "mcp__crashy__crash", `{}`).
		Call("c2", "mcp__slow__sleep", `{"ms":10000}`).
		Call("c3", "mcp__flood__echo", `{"text":"still here"}`).
		Call("c4", "mcp__hang__echo", `{"text":"?"}`).Reply(), upstreamtest.Text("noted"))
	r := p.chat(map[string]any{"message": "try them"})
	if r.StopReason != "end_turn" || r.Steps != 2 {
		t.Fatalf("result %+v", r)
	}
	outs := outputsOf(input(t, fake.RequestsTo(codexPath), 1))
	if !strings.Contains(outs["c1"], "MCP") || !strings.Contains(outs["c1"], "crashy") {
		t.Errorf("crash mid-call: %q", outs["c1"])
	}
	if !strings.Contains(outs["c2"], "no answer within") {
		t.Errorf("a call that hangs: %q", outs["c2"])
	}
	if outs["c3"] != "echo: still here" {
		t.Errorf("flood: %q", outs["c3"])
	}
	if !strings.Contains(outs["c4"], "no tool named") {
		t.Errorf("a server that never started: %q", outs["c4"])
	}
	// The editor is told when the crashed server is marked failed.
	p.waitFor("mcp/status", func(m msg) bool {
		var st struct{ Name, Status string }
		json.Unmarshal(m.Params, &st)
		return st.Name == "crashy" && st.Status == "failed"
	}, 20*time.Second)
	list := mcpList(p, r.SessionID)
	if list["crashy"]["status"] != "failed" || list["hang"]["status"] != "failed" ||
		!strings.Contains(toJSON(list["hang"]["error"]), "did not answer") || list["flood"]["status"] != "ready" || list["slow"]["status"] != "ready" {
		t.Errorf("mcp/list: %v", list)
	}
	fake.PushCodex(upstreamtest.Text("again"))
	if r2 := p.chat(map[string]any{"sessionId": r.SessionID, "message": "and now?"}); r2.Text != "again" {
		t.Errorf("the session after: %+v", r2)
	}
	log := p.log()
	if !strings.Contains(log, "writes too much to stderr") || strings.Count(log, "flood line") > 1000 {
		t.Errorf("a flood of stderr was not bounded in the log (%d lines)", strings.Count(log, "flood line"))
	}
}

func TestDoctorStartsEachMCPServer(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	writeJSON(t, filepath.Join(home, "config.json"), map[string]any{"mcpServers": map[string]any{
		"good":   mcpStdio(t, "", nil),
		"broken": map[string]any{"command": "/nonexistent/mcp-server"},
	}})
	rep, code := runDoctor(t, fake, home)
	got := map[string]bool{}
	for _, c := range rep.Checks {
		if strings.HasPrefix(c.Name, "mcp ") {
			got[c.Name] = c.OK
			if c.Name == "mcp good" && !strings.Contains(c.Detail, "mcp__good__echo") {
				t.Errorf("good: %s", c.Detail)
			}
		}
	}
	if ok, seen := got["mcp good"]; !seen || !ok {
		t.Errorf("mcp good: %v", got)
	}
	if ok, seen := got["mcp broken"]; !seen || ok {
		t.Errorf("mcp broken: %v", got)
	}
	if code == 0 {
		t.Errorf("doctor passed with a broken server")
	}
}

// TestMCPReferenceServerEverything runs the npm reference server
// @modelcontextprotocol/server-everything when MCP_SERVER_EVERYTHING names
// its executable (npm install it anywhere, then point at
// node_modules/.bin/mcp-server-everything); it is skipped otherwise.
func TestMCPReferenceServerEverything(t *testing.T) {
	t.Parallel()
	bin := os.Getenv("MCP_SERVER_EVERYTHING")
	if bin == "" {
		t.Skip("MCP_SERVER_EVERYTHING is not set")
	}
	home := t.TempDir()
	writeJSON(t, filepath.Join(home, "config.json"), map[string]any{"mcpServers": map[string]any{
		"everything": map[string]any{"command": bin, "args": []string{"stdio"}, "trusted": true, "startTimeoutMs": 30000},
	}})
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home})
	p.initialize(false)
	fake.PushCodex(upstreamtest.Step().
		Call("e1", "mcp__everything__echo", `{"message":"hi there"}`).
		Call("e2", "mcp__everything__get-sum", `{"a":2,"b":3}`).
		Call("e3", "mcp__everything__get-tiny-image", `{}`).
		Call("e4", "read_mcp_resource", `{"server":"everything","uri":"demo://resource/static/document/architecture.md"}`).Reply(),
		upstreamtest.Text("done"))
	r := p.chat(map[string]any{"message": "use everything"})
	if r.StopReason != "end_turn" {
		t.Fatalf("result %+v", r)
	}
	outs := outputsOf(input(t, fake.RequestsTo(codexPath), 1))
	if !strings.Contains(outs["e1"], "hi there") {
		t.Errorf("echo: %q", outs["e1"])
	}
	if !strings.Contains(outs["e2"], "5") {
		t.Errorf("get-sum: %q", outs["e2"])
	}
	if !strings.Contains(toJSON(input(t, fake.RequestsTo(codexPath), 1)), `"type":"input_image"`) {
		t.Errorf("get-tiny-image: no input_image reached the model")
	}
	t.Logf("read_mcp_resource: %.200q", outs["e4"])
}

func TestMCPCallIsCancelledWithTheTurn(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	writeJSON(t, filepath.Join(home, "config.json"), map[string]any{"mcpServers": map[string]any{
		"test": mcpStdio(t, "", map[string]any{"trusted": true}),
	}})
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home})
	p.initialize(false)
	fake.PushCodex(upstreamtest.Step().Call("s1", "mcp__test__sleep", `{"ms":60000}`).Reply())
	_, done := p.send("chat", map[string]any{"message": "sleep"})
	call := p.waitFor("chat/toolCall", nil, 10*time.Second)
	var ref struct {
		SessionID string `json:"sessionId"`
	}
	json.Unmarshal(call.Params, &ref)
	began := time.Now()
	p.ok("cancel", map[string]any{"sessionId": ref.SessionID}, nil)
	raw, werr := p.await(done, "chat")
	if werr != nil {
		t.Fatalf("chat: %v", werr)
	}
	if r := decode[chatResult](t, raw); r.StopReason != "cancelled" {
		t.Errorf("stopReason %q", r.StopReason)
	}
	if d := time.Since(began); d > 20*time.Second { // uncancelled, the call takes 60 s
		t.Errorf("the cancelled MCP call held the turn for %v", d)
	}
	// The server is still there for the next turn.
	fake.PushCodex(upstreamtest.Step().Call("e1", "mcp__test__echo", `{"text":"after"}`).Reply(), upstreamtest.Text("ok"))
	p.chat(map[string]any{"sessionId": ref.SessionID, "message": "again"})
	reqs := fake.RequestsTo(codexPath)
	if out := outputsOf(input(t, reqs, len(reqs)-1))["e1"]; out != "echo: after" {
		t.Errorf("after the cancel: %q", out)
	}
}
