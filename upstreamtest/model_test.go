package upstreamtest

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
)

func TestResponsesAuth(t *testing.T) {
	s := newServer(t)
	s.SetAPIKey("sk-right")
	tok := s.Mint()
	body := []byte(`{"model":"gpt-5.5","instructions":"x","store":false,"stream":true,"input":"hi"}`)
	tests := []struct {
		name       string
		path       string
		auth       string
		status     int
		detail     string // Codex-style {"detail"}
		code       string // OpenAI-style {"error":{"code"}}
		mustNotSay string
	}{
		{"codex no token", PathCodexResponses, "", 401, "Could not validate your token.", "", ""},
		{"codex api key", PathCodexResponses, "Bearer sk-right", 401, "Could not validate your token.", "", ""},
		{"codex forged", PathCodexResponses, "Bearer eyJhbGciOiJub25lIn0.e30.", 401, "Could not validate your token.", "", ""},
		{"codex issued", PathCodexResponses, "Bearer " + tok.AccessToken, 500, "", "", ""},
		{"api no key", PathAPIResponses, "", 401, "", "invalid_api_key", ""},
		{"api wrong key", PathAPIResponses, "Bearer sk-wrong", 401, "", "invalid_api_key", "sk-wrong"},
		{"api oauth token", PathAPIResponses, "Bearer " + tok.AccessToken, 401, "", "", ""},
		{"api right key", PathAPIResponses, "Bearer sk-right", 500, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(t, s, http.MethodPost, tt.path, "application/json", body, "Authorization", tt.auth)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			m := a.json(t)
			if tt.detail != "" && field(m, "detail") != tt.detail {
				t.Errorf("body %s, want detail %q", a.body, tt.detail)
			}
			if tt.code != "" && (field(m, "error", "code") != tt.code || field(m, "error", "type") != "invalid_request_error") {
				t.Errorf("body %s, want code %q", a.body, tt.code)
			}
			if tt.mustNotSay != "" && strings.Contains(string(a.body), tt.mustNotSay) {
				t.Errorf("error body repeats the secret: %s", a.body)
			}
		})
	}
	if c, _ := s.Pending(); c != 0 {
		t.Errorf("Pending codex = %d", c)
	}
}

func TestUnauthorizedDoesNotUseAReply(t *testing.T) {
	s := newServer(t)
	s.SetAPIKey("sk-right")
	s.PushAPI(Text("kept"))
	d := stream(testContext(t), service(s, s.APIBase(), "sk-wrong"), codexParams())
	var apiErr *openai.Error
	if !errors.As(d.err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Code != "invalid_api_key" {
		t.Fatalf("Err() = %v", d.err)
	}
	if _, a := s.Pending(); a != 1 {
		t.Errorf("a refused request used a reply (%d left)", a)
	}
}

func TestCodexBodyChecks(t *testing.T) {
	s := newServer(t)
	tok := s.Mint()
	tests := []struct {
		name, body, detail string
	}{
		{"not json", `{"model":`, "The request body is not valid JSON."},
		{"store missing", `{"instructions":"x","stream":true}`, "Store must be set to false"},
		{"store true", `{"instructions":"x","store":true,"stream":true}`, "Store must be set to false"},
		{"not streaming", `{"instructions":"x","store":false}`, "Stream must be set to true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.PushCodex(Text("unused"))
			a := do(t, s, http.MethodPost, PathCodexResponses, "application/json", []byte(tt.body), "Authorization", "Bearer "+tok.AccessToken)
			if a.status != http.StatusBadRequest || field(a.json(t), "detail") != tt.detail {
				t.Errorf("status %d body %s, want 400 %q", a.status, a.body, tt.detail)
			}
		})
	}
}

func TestModelLists(t *testing.T) {
	s := newServer(t)
	s.SetAPIKey("sk-right")
	tok := s.Mint()
	codexAuth := []string{"Authorization", "Bearer " + tok.AccessToken}

	s.SetCodexModels()
	if a := do(t, s, http.MethodGet, PathCodexModels+"?client_version=1.0.0", "", nil, codexAuth...); a.status != http.StatusNotFound {
		t.Errorf("no codex catalog: %d", a.status)
	}
	s.SetCodexModels("gpt-5.5", "gpt-5.3-codex")
	a := do(t, s, http.MethodGet, PathCodexModels+"?client_version=1.0.0", "", nil, codexAuth...)
	if a.status != http.StatusOK {
		t.Fatalf("codex models: %d %s", a.status, a.body)
	}
	models, _ := a.json(t)["models"].([]any)
	if len(models) != 2 {
		t.Fatalf("codex models = %s", a.body)
	}
	for i, want := range [][2]string{{"gpt-5.5", "GPT-5.5"}, {"gpt-5.3-codex", "GPT-5.3-Codex"}} {
		m, _ := models[i].(map[string]any)
		if field(m, "slug") != want[0] || field(m, "display_name") != want[1] {
			t.Errorf("codex model %d = %v, want %v", i, m, want)
		}
	}
	if a := do(t, s, http.MethodGet, PathCodexModels, "", nil); a.status != http.StatusUnauthorized {
		t.Errorf("codex models without a token: %d", a.status)
	}

	s.SetAPIModels("gpt-5.5", "gpt-4.1")
	a = do(t, s, http.MethodGet, PathAPIModels, "", nil, "Authorization", "Bearer sk-right")
	m := a.json(t)
	data, _ := m["data"].([]any)
	if a.status != http.StatusOK || m["object"] != "list" || len(data) != 2 {
		t.Fatalf("api models: %d %s", a.status, a.body)
	}
	first, _ := data[0].(map[string]any)
	if field(first, "id") != "gpt-5.5" || field(first, "object") != "model" || field(first, "owned_by") != "openai" {
		t.Errorf("api model = %v", first)
	}
	if a := do(t, s, http.MethodGet, PathAPIModels, "", nil, "Authorization", "Bearer sk-wrong"); a.status != http.StatusUnauthorized {
		t.Errorf("api models with a wrong key: %d", a.status)
	}
}

func TestRecording(t *testing.T) {
	s := newServer(t)
	postJSON(t, s, PathDeviceUserCode, map[string]string{"client_id": ClientID}, "X-Test", "1")
	do(t, s, http.MethodGet, "/nowhere?a=b", "", nil)
	postForm(t, s, PathToken, refreshForm("rt_x"))

	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("recorded %d requests, want 3", len(reqs))
	}
	if reqs[0].Method != http.MethodPost || reqs[0].Path != PathDeviceUserCode || reqs[0].Header.Get("X-Test") != "1" ||
		reqs[0].JSON()["client_id"] != ClientID || reqs[0].Form != nil {
		t.Errorf("first request = %+v", reqs[0])
	}
	if reqs[1].Path != "/nowhere" || reqs[1].RawQuery != "a=b" || reqs[1].JSON() != nil || reqs[1].Query().Get("a") != "b" {
		t.Errorf("second request = %+v", reqs[1])
	}
	if reqs[2].Form.Get("refresh_token") != "rt_x" || reqs[2].JSON() != nil {
		t.Errorf("third request = %+v", reqs[2])
	}

	// Copies: changing them does not change the recording.
	reqs[0].Body[0] = 'X'
	reqs[0].Header.Set("X-Test", "changed")
	reqs[2].Form.Set("refresh_token", "changed")
	again := s.RequestsTo(PathDeviceUserCode)
	if len(again) != 1 || again[0].Body[0] != '{' || again[0].Header.Get("X-Test") != "1" {
		t.Errorf("the recording changed through a copy: %+v", again)
	}
	if s.RequestsTo(PathToken)[0].Form.Get("refresh_token") != "rt_x" {
		t.Error("the recorded form changed through a copy")
	}
}
