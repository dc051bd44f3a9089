package tools

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestBashRunsThroughTheSandbox: with a sandbox on the Env, bash runs the
// argv the sandbox makes of its command, and a failure that looks like a
// denial carries the sandbox's hint.
func TestBashRunsThroughTheSandbox(t *testing.T) {
	env := newTestEnv(t, nil)
	var got, writable []string
	env.Sandbox = &CommandSandbox{
		Wrap: func(argv []string, w ...string) ([]string, error) {
			got, writable = argv, w
			// Stands for the re-exec: it runs the command with a mark.
			return []string{"bash", "-c", "echo wrapped; " + argv[2]}, nil
		},
		Hint: "HINT: ask to escalate",
	}
	res := runTool(t, bashTool{}, env, map[string]any{"command": "echo inner"})
	if strings.Join(got, " ") != "bash -c echo inner" || res.Output != "wrapped\ninner\nexit code: 0" {
		t.Errorf("wrapped %q, output %q", got, res.Output)
	}
	// The command's own temp dir is writable (given to Wrap), is its
	// TMPDIR, and is gone when it ends.
	res = runTool(t, bashTool{}, env, map[string]any{"command": `echo "tmp=$TMPDIR"`})
	if len(writable) != 1 || !strings.Contains(res.Output, "tmp="+writable[0]+"\n") {
		t.Errorf("own temp dir %v, output %q", writable, res.Output)
	}
	if _, err := os.Stat(writable[0]); err == nil {
		t.Errorf("the command's temp dir %s outlived it", writable[0])
	}
	res = runTool(t, bashTool{}, env, map[string]any{"command": "echo 'x: Permission denied' >&2; exit 1"})
	if !strings.HasSuffix(res.Output, "exit code: 1\nHINT: ask to escalate") {
		t.Errorf("a denial lacks the hint: %q", res.Output)
	}
	for _, cmd := range []string{"echo 'Permission denied'", "echo no such file; exit 2"} {
		if res := runTool(t, bashTool{}, env, map[string]any{"command": cmd}); strings.Contains(res.Output, "HINT") {
			t.Errorf("%q carries the hint: %q", cmd, res.Output)
		}
	}
	env.Sandbox.Wrap = func([]string, ...string) ([]string, error) { return nil, errors.New("no landlock") }
	res = runTool(t, bashTool{}, env, map[string]any{"command": "echo ran"})
	if !res.IsError || strings.Contains(res.Output, "ran") || !strings.Contains(res.Output, "no landlock") {
		t.Errorf("a sandbox that cannot wrap: %+v", res)
	}
}
