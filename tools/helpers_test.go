package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newTestHome is a Home for a test, closed when the test ends.
func newTestHome(t testing.TB, cfg HomeConfig) *Home {
	t.Helper()
	h := NewHome(cfg)
	t.Cleanup(h.Close)
	return h
}

// newTestEnv makes a workspace in a temporary directory holding files
// (path -> content; a path ending in "/" makes a directory). Its Home
// keeps nothing private and sweeps nothing.
func newTestEnv(t *testing.T, files map[string]string) *Env {
	t.Helper()
	env, err := newTestHome(t, HomeConfig{}).NewEnv(t.TempDir())
	if err != nil {
		t.Fatalf("NewEnv: %v", err)
	}
	for name, content := range files {
		path := filepath.Join(env.Root, name)
		if strings.HasSuffix(name, "/") {
			path += "/"
		}
		writeTestFile(t, path, content)
	}
	return env
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if strings.HasSuffix(path, "/") {
		if err := os.MkdirAll(path, 0o755); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// runTool calls tool with args (marshalled to JSON unless already a string)
// and fails the test on a Go error.
func runTool(t *testing.T, tool Tool, env *Env, args any) Result {
	t.Helper()
	res, err := runToolErr(t, context.Background(), tool, env, args)
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", tool.Name(), err)
	}
	return res
}

func runToolErr(t *testing.T, ctx context.Context, tool Tool, env *Env, args any) (Result, error) {
	t.Helper()
	var raw json.RawMessage
	switch a := args.(type) {
	case string:
		raw = json.RawMessage(a)
	default:
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		raw = b
	}
	return tool.Run(ctx, env, raw)
}

// check asserts a result's error flag and that its output holds every want
// and none of the unwanted strings.
func check(t *testing.T, res Result, isError bool, want []string, unwanted ...string) {
	t.Helper()
	if res.IsError != isError {
		t.Errorf("IsError = %v, want %v; output:\n%s", res.IsError, isError, res.Output)
	}
	for _, w := range want {
		if !strings.Contains(res.Output, w) {
			t.Errorf("output lacks %q; output:\n%s", w, res.Output)
		}
	}
	for _, u := range unwanted {
		if strings.Contains(res.Output, u) {
			t.Errorf("output holds %q; output:\n%s", u, res.Output)
		}
	}
}

func readTestFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
