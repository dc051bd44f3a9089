package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFakeUpstreamCommand: the fake as a process, as the editor suites use
// it, serves a scripted turn to a real deckhand.
func TestFakeUpstreamCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fakeBin := filepath.Join(dir, "fakeupstream")
	// Built as deckhand was, so that the packages they share are compiled once.
	args := []string{"build", "-o", fakeBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, "../cmd/fakeupstream")...).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	script := filepath.Join(dir, "script.json")
	os.WriteFile(script, []byte(`[{"text":"Looking.","calls":[{"id":"c1","name":"list","arguments":{}}]},{"text":"Done looking."}]`), 0o644)
	cmd := exec.Command(fakeBin, "--script", script)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var urls struct{ Issuer, Codex, API string }
	if err := json.Unmarshal([]byte(line), &urls); err != nil || urls.Codex == "" {
		t.Fatalf("first line %q: %v", line, err)
	}
	home, ws := t.TempDir(), t.TempDir()
	p := start(t, opts{home: home, ws: ws, env: []string{"DECKHAND_AUTH_ISSUER=" + urls.Issuer,
		"DECKHAND_CODEX_BASE_URL=" + urls.Codex, "OPENAI_BASE_URL=" + urls.API}})
	p.initialize(false)
	var flow struct{ FlowID string }
	p.ok("startOAuth", map[string]any{"provider": "openai", "method": "headless"}, &flow)
	var poll struct{ State string }
	p.ok("pollDevice", map[string]any{"flowId": flow.FlowID, "wait": true}, &poll)
	if poll.State != "complete" {
		t.Fatalf("device login %s", poll.State)
	}
	r := p.chat(map[string]any{"message": "look"})
	if r.Steps != 2 || !strings.HasSuffix(r.Text, "Done looking.") {
		t.Errorf("result %+v", r)
	}
}
