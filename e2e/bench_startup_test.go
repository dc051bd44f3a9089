package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// buildFloor builds deckhand with its yardstick main (cmd/deckhand's
// floor.go): the whole binary, linked and initialised, answering at once.
func buildFloor(b *testing.B) string {
	out := filepath.Join(b.TempDir(), "deckhand-floor")
	args := []string{"build", "-tags", "startupfloor", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	if msg, err := exec.Command("go", append(args, "../cmd/deckhand")...).CombinedOutput(); err != nil {
		b.Fatalf("building the floor: %v\n%s", err, msg)
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
// median of the ratios of each pair (the target is 2 or less).
//
// The floor is deckhand's own binary answering at once (every package
// linked and initialised, none of deckhand's work): floor-x-bare is what
// linking costs, and x-bare minus it what deckhand's start adds.
func BenchmarkStartup(b *testing.B) {
	bare, floor := buildBare(b), buildFloor(b)
	home, ws := b.TempDir(), b.TempDir()
	hello, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize",
		"params": map[string]any{"clientInfo": map[string]any{"name": "bench", "version": "1"}, "workspaceRoot": ws}})
	hello = append(hello, '\n')
	env := append(os.Environ(), "DECKHAND_HOME="+home, "OPENAI_API_KEY=",
		"DECKHAND_AUTH_ISSUER="+deadHost, "DECKHAND_CODEX_BASE_URL="+deadHost+"/backend-api/codex", "OPENAI_BASE_URL="+deadHost+"/v1")
	var ours, theirs, floors, ratio, floorRatio []float64
	for b.Loop() {
		cmd := exec.Command(binary, "--log-level", "warn")
		cmd.Dir, cmd.Env = ws, env
		a := firstAnswer(b, cmd, hello)
		z := firstAnswer(b, exec.Command(bare), hello)
		f := exec.Command(floor)
		f.Dir, f.Env = ws, env
		l := firstAnswer(b, f, hello)
		ours, theirs = append(ours, float64(a.Microseconds())), append(theirs, float64(z.Microseconds()))
		floors = append(floors, float64(l.Microseconds()))
		ratio, floorRatio = append(ratio, float64(a)/float64(z)), append(floorRatio, float64(l)/float64(z))
	}
	// Medians: on a shared machine a few runs land behind other work.
	b.ReportMetric(median(ours), "µs/initialize")
	b.ReportMetric(median(theirs), "µs/bare")
	b.ReportMetric(median(floors), "µs/floor")
	b.ReportMetric(median(ratio), "x-bare")
	b.ReportMetric(median(floorRatio), "floor-x-bare")
}

// median returns the middle of v (v is reordered).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}
