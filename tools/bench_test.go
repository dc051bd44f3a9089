package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// The benchmarks search Go's own source tree, $(go env GOROOT)/src, and time
// the same search by ripgrep (for grep) and find (for glob), reporting the
// ratio as x-rg / x-find. Caps are raised so that the whole tree is searched.

const benchPattern = `func New[A-Z]\w*\(`

func goSource(b *testing.B) string {
	b.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skipf("go env GOROOT: %v", err)
	}
	return strings.TrimSpace(string(out)) + "/src"
}

// timeCommand runs name with args in dir a few times and returns the median
// wall time and the number of output lines.
func timeCommand(b *testing.B, dir, name string, args ...string) (time.Duration, int) {
	b.Helper()
	if _, err := exec.LookPath(name); err != nil {
		b.Skipf("%s not installed: %v", name, err)
	}
	var times []time.Duration
	lines := 0
	for range 5 {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout = &out
		start := time.Now()
		err := cmd.Run()
		times = append(times, time.Since(start))
		// rg exits 1 when nothing matched; anything else is a failure.
		if err != nil && cmd.ProcessState.ExitCode() != 1 {
			b.Fatalf("%s: %v", name, err)
		}
		lines = bytes.Count(out.Bytes(), []byte{'\n'})
	}
	slices.Sort(times)
	return times[len(times)/2], lines
}

func benchTool(b *testing.B, tool Tool, args string, other func(dir string) (time.Duration, int), unit string) {
	src := goSource(b)
	env, err := newTestHome(b, HomeConfig{}).NewEnv(src)
	if err != nil {
		b.Skipf("GOROOT/src: %v", err)
	}
	otherTime, otherLines := other(src)
	var res Result
	for b.Loop() {
		res, err = tool.Run(context.Background(), env, json.RawMessage(args))
		if err != nil || res.IsError {
			b.Fatalf("run: %v %s", err, res.Output)
		}
	}
	ours := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(otherTime.Nanoseconds()), unit+"-ns/op")
	b.ReportMetric(float64(ours)/float64(otherTime), "x-"+unit)
	b.ReportMetric(float64(strings.Count(res.Output, "\n")+1), "lines")
	b.ReportMetric(float64(otherLines), unit+"-lines")
}

func BenchmarkGrep(b *testing.B) {
	args, _ := json.Marshal(map[string]string{"pattern": benchPattern})
	benchTool(b, grepTool{maxMatches: 1 << 30}, string(args), func(dir string) (time.Duration, int) {
		return timeCommand(b, dir, "rg", "-n", "--no-heading", "--color", "never", benchPattern, ".")
	}, "rg")
}

func BenchmarkGlob(b *testing.B) {
	benchTool(b, globTool{maxResults: 1 << 30}, `{"pattern":"**/*.go"}`, func(dir string) (time.Duration, int) {
		return timeCommand(b, dir, "find", ".", "-name", "*.go", "-type", "f")
	}, "find")
}
