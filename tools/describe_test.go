package tools

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

func TestDescribe(t *testing.T) {
	tests := []struct {
		name, args, want string
	}{
		{"read", `{"path":"src/a.go"}`, "Read src/a.go"},
		{"read", `{"path":"src/a.go","offset":40,"limit":10}`, "Read src/a.go (from line 40)"},
		{"list", `{}`, "List the workspace root"},
		{"list", `{"path":"cmd"}`, "List cmd"},
		{"glob", `{"pattern":"**/*.go"}`, "Find files matching **/*.go in the workspace root"},
		{"grep", `{"pattern":"TODO","path":"src","include":"*.go"}`, `Search for "TODO" in src (*.go)`},
		{"write", `{"path":"src/a.go","content":"` + strings.Repeat("x", 120) + `"}`, "Write 120 bytes to src/a.go"},
		{"edit", `{"path":"a.go","oldString":"a\nb","newString":"c"}`, "Edit a.go: replace one occurrence of a 2-line passage"},
		{"edit", `{"path":"a.go","oldString":"a","newString":"c","replaceAll":true}`, "Edit a.go: replace every occurrence of a 1-line passage"},
		{"bash", `{"command":"go test ./..."}`, "Run: go test ./..."},
		{"bash", `{"command":"cd x\nmake\nmake install"}`, "Run: cd x (+2 more lines)"},
		{"bash", `{"command":"echo\tsecret"}`, "Run: echo secret"},
		{"bash", `{"command":5}`, "Call bash (with arguments that cannot be read)"},
		{"write", `not json`, "Call write (with arguments that cannot be read)"},
		{"apply_patch", `{}`, "Call apply_patch"},
	}
	for _, tt := range tests {
		if got := Describe(tt.name, json.RawMessage(tt.args)); got != tt.want {
			t.Errorf("Describe(%s, %s) = %q, want %q", tt.name, tt.args, got, tt.want)
		}
	}
	long := Describe("bash", json.RawMessage(`{"command":"`+strings.Repeat("é", 500)+`"}`))
	if n := len([]rune(long)); n != describeMax || !strings.HasSuffix(long, "...") {
		t.Errorf("long description has %d runes: %q", n, long)
	}
}

// One Env serves concurrent calls (the engine may run read-only tools in
// parallel); the race detector checks the ledger.
func TestConcurrentCalls(t *testing.T) {
	env := newTestEnv(t, map[string]string{"a.txt": "alpha\n", "b.txt": "beta\n", "c/d.txt": "delta\n"})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			name := []string{"a.txt", "b.txt", "c/d.txt"}[i%3]
			for _, call := range []struct {
				tool Tool
				args map[string]any
			}{
				{readTool{}, map[string]any{"path": name}},
				{grepTool{}, map[string]any{"pattern": "a"}},
				{globTool{}, map[string]any{"pattern": "**/*.txt"}},
				{listTool{}, map[string]any{}},
			} {
				res, err := runToolErr(t, context.Background(), call.tool, env, call.args)
				if err != nil || res.IsError {
					t.Errorf("%s: %v %s", call.tool.Name(), err, res.Output)
				}
			}
		})
	}
	wg.Wait()
}
