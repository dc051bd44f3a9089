package tools

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// A file of many megabytes is read a page at a time and counted whole.
func TestReadHugeFile(t *testing.T) {
	env := newTestEnv(t, nil)
	var b bytes.Buffer
	for i := 1; i <= 300_000; i++ {
		fmt.Fprintf(&b, "row %d of a large generated file\r\n", i)
	}
	writeTestFile(t, filepath.Join(env.Root, "huge.csv"), b.String())
	res := runTool(t, readTool{}, env, map[string]any{"path": "huge.csv", "offset": 150_000, "limit": 2})
	want := "150000\trow 150000 of a large generated file\n150001\trow 150001 of a large generated file\n\n" +
		"(file has 300000 lines; showing 150000-150001. Call read with offset=150002 to read on.)"
	if res.IsError || res.Output != want {
		t.Errorf("got %q", res.Output)
	}
	s, ok := env.Ledger.lookup(filepath.Join(env.Root, "huge.csv"))
	if !ok || s.size != int64(b.Len()) {
		t.Errorf("ledger: %+v %v", s, ok)
	}
}

// grep skips files too large to read whole, and says so.
func TestGrepSkipsHugeFiles(t *testing.T) {
	env := newTestEnv(t, map[string]string{"small.txt": "needle\n"})
	f, err := os.Create(filepath.Join(env.Root, "huge.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: large on paper, nothing on disk.
	if err := f.Truncate(grepMaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res := runTool(t, grepTool{}, env, map[string]any{"pattern": "needle"})
	check(t, res, false, []string{"small.txt:1:needle", "skipped 1 files larger than 64 MiB"})
	res = runTool(t, grepTool{}, env, map[string]any{"pattern": "needle", "path": "huge.txt"})
	check(t, res, true, []string{"larger than 64 MiB"})
}

// Tools leave no goroutine behind.
func TestNoGoroutineLeaks(t *testing.T) {
	env := newTestEnv(t, map[string]string{"a/b.txt": strings.Repeat("hit\n", 100)})
	before := runtime.NumGoroutine()
	runTool(t, grepTool{maxMatches: 5}, env, map[string]any{"pattern": "hit"})
	runTool(t, bashTool{}, env, map[string]any{"command": "echo hi"})
	runTool(t, bashTool{}, env, map[string]any{"command": "sleep 5", "timeoutMs": 50})
	deadline := time.Now().Add(10 * time.Second) // a hang guard, not a timing claim
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
