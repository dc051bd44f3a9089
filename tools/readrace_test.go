package tools

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// A workspace directory swapped for a link to the outside, and back, in a
// tight loop while read, grep, list and glob run on it: no call may return
// outside content or names. Every read goes through an os.Root, so the
// kernel-level check happens at the moment of each open.
func TestReadRaceWithASwappedDirectory(t *testing.T) {
	outside := t.TempDir()
	writeTestFile(t, filepath.Join(outside, "f.txt"), "OUTSIDE-CONTENT\n")
	writeTestFile(t, filepath.Join(outside, "outside-name.txt"), "OUTSIDE-CONTENT\n")
	env := newTestEnv(t, map[string]string{"sub/f.txt": "inside content\n", "sub/deeper/g.txt": "inside\n"})
	sub := filepath.Join(env.Root, "sub")
	held := filepath.Join(env.Root, ".held")

	var stop atomic.Bool
	var swaps atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			if os.Rename(sub, held) != nil {
				continue
			}
			_ = os.Symlink(outside, sub)
			_ = os.Remove(sub)
			_ = os.Rename(held, sub)
			swaps.Add(1)
		}
	})
	calls := []struct {
		tool Tool
		args map[string]any
	}{
		{readTool{}, map[string]any{"path": "sub/f.txt"}},
		{grepTool{}, map[string]any{"pattern": "CONTENT|content", "path": "sub"}},
		{grepTool{}, map[string]any{"pattern": "CONTENT|content"}},
		{listTool{}, map[string]any{"path": "sub"}},
		{globTool{}, map[string]any{"pattern": "**/*.txt", "path": "sub"}},
	}
	leaks := 0
	for i := range 400 {
		c := calls[i%len(calls)]
		res := runTool(t, c.tool, env, c.args)
		if strings.Contains(res.Output, "OUTSIDE-CONTENT") || strings.Contains(res.Output, "outside-name") {
			leaks++
			if leaks <= 3 {
				t.Errorf("%s %v leaked the outside: %s", c.tool.Name(), c.args, res.Output)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	if leaks > 0 {
		t.Errorf("%d of 400 calls leaked outside content or names", leaks)
	}
	if swaps.Load() < 10 {
		t.Logf("only %d swaps happened: the race was barely exercised", swaps.Load())
	}
}
