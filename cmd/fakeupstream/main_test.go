package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// "requests" on the command input prints what the fake received, bodies
// decoded; other lines are ignored.
func TestServeCommandsReportsRequests(t *testing.T) {
	fake := upstreamtest.New()
	defer fake.Close()
	fake.SetAPIKey("sk-fake")
	fake.SetAPIModels("gpt-5-fake-alpha")
	req, err := http.NewRequest(http.MethodGet, fake.APIBase()+"/models", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer sk-fake")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var catalog struct {
		Data []struct{ ID string } `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&catalog); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(catalog.Data) != 1 || catalog.Data[0].ID != "gpt-5-fake-alpha" {
		t.Fatalf("catalog = %+v, want the one model set", catalog.Data)
	}
	body := `{"model":"m","input":"hi"}`
	resp, err = http.Post(fake.APIBase()+"/responses", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	var out bytes.Buffer
	serveCommands(strings.NewReader("nonsense\nrequests\n"), json.NewEncoder(&out), fake)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want one answer for one command: %q", len(lines), out.String())
	}
	var got struct {
		Requests []struct {
			Method, Path string
			Body         any
		}
	}
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Requests) != 2 {
		t.Fatalf("got %d requests, want 2: %s", len(got.Requests), lines[0])
	}
	if got.Requests[0].Method != "GET" || got.Requests[0].Path != "/v1/models" {
		t.Errorf("first = %+v, want GET /v1/models", got.Requests[0])
	}
	b, ok := got.Requests[1].Body.(map[string]any)
	if got.Requests[1].Path != "/v1/responses" || !ok || b["input"] != "hi" {
		t.Errorf("second = %+v, want /v1/responses with its JSON body decoded", got.Requests[1])
	}
	if strings.Contains(lines[0], "sk-fake") {
		t.Errorf("the report carries the API key: %s", lines[0])
	}
}
