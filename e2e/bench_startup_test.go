package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// bareProgram is the yardstick for startup: a Go program that reads a line
// and writes one, what any Go server pays before its own work.
const bareProgram = `package main

import (
	"bufio"
	"os"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	line, _ := in.ReadBytes('\n')
	_ = line
	os.Stdout.WriteString("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n")
	in.ReadBytes('\n')
}
`

// buildBare builds bareProgram with the Go that builds deckhand.
func buildBare(b *testing.B) string {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(bareProgram), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module bare\n\ngo 1.22\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "bare")
	build := exec.Command("go", "build", "-o", out, ".")
	build.Dir = dir
	if msg, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the bare program: %v\n%s", err, msg)
	}
	return out
}

// firstAnswer starts cmd, sends line, and returns the time from the start
// to the first line it writes back, which must be a JSON-RPC result.
func firstAnswer(b *testing.B, cmd *exec.Cmd, line []byte) time.Duration {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	if _, err := stdin.Write(line); err != nil {
		b.Fatal(err)
	}
	answer, err := bufio.NewReader(stdout).ReadBytes('\n')
	took := time.Since(t0)
	stdin.Close()
	if werr := cmd.Wait(); err != nil || werr != nil {
		b.Fatalf("no answer: %v, exit %v (%q)", err, werr, answer)
	}
	var m msg
	if json.Unmarshal(answer, &m) != nil || m.Result == nil {
		b.Fatalf("the answer is not a result: %q", answer)
	}
	return took
}

// BenchmarkStartup measures what an editor waits for when it starts
// deckhand: from starting the process to reading initialize's answer,
// against the same for a bare Go program that reads a line and writes one.
// The two alternate, so a loaded machine weighs on both alike; x-bare is the
// ratio (the target is 2 or less).
func BenchmarkStartup(b *testing.B) {
	bare := buildBare(b)
	home, ws := b.TempDir(), b.TempDir()
	hello, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize",
		"params": map[string]any{"clientInfo": map[string]any{"name": "bench", "version": "1"}, "workspaceRoot": ws}})
	hello = append(hello, '\n')
	env := append(os.Environ(), "DECKHAND_HOME="+home, "OPENAI_API_KEY=",
		"DECKHAND_AUTH_ISSUER="+deadHost, "DECKHAND_CODEX_BASE_URL="+deadHost+"/backend-api/codex", "OPENAI_BASE_URL="+deadHost+"/v1")
	var ours, theirs time.Duration
	for b.Loop() {
		cmd := exec.Command(binary, "--log-level", "warn")
		cmd.Dir, cmd.Env = ws, env
		ours += firstAnswer(b, cmd, hello)
		theirs += firstAnswer(b, exec.Command(bare), hello)
	}
	b.ReportMetric(float64(ours.Microseconds())/float64(b.N), "µs/initialize")
	b.ReportMetric(float64(theirs.Microseconds())/float64(b.N), "µs/bare")
	b.ReportMetric(float64(ours)/float64(theirs), "x-bare")
}
