package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// nativePermission is a permission/request's params with the 1.2 preview.
type nativePermission struct {
	CallID, Tool string
	Preview      struct {
		Command, Cwd, Justification string
		Sandboxed                   *bool
		Files                       []struct{ Path, Action, MovePath, Diff string }
	}
}

var runningSession = regexp.MustCompile(`Process running with session ID (\d+)`)

// A turn on gpt-5.5, whose entry names the Codex tools: the request
// declares them in the official client's shape; the model's apply_patch
// (add, update, move, delete) is reviewed file by file and applied, its
// exec_command yields a session that write_stdin polls to the end, the
// command's output streams to the editor, and undo takes the patch back.
func TestCodexToolsTurn(t *testing.T) {
	t.Parallel()
	fake, p := permissionServer(t, "allow", "allow")
	writeFile(t, p.ws, "main.go", "package main\n\nfunc main() {\n\tprintln(\"hi\")\n}\n")
	writeFile(t, p.ws, "old/name.txt", "moving\n")
	writeFile(t, p.ws, "gone.txt", "bye\n")
	patch := "*** Begin Patch\n" +
		"*** Add File: docs/notes.md\n+# Notes\n+first line\n" +
		"*** Update File: main.go\n@@ func main() {\n-\tprintln(\"hi\")\n+\tprintln(\"hello\")\n }\n" +
		"*** Update File: old/name.txt\n*** Move to: new/name.txt\n@@\n-moving\n+moved\n" +
		"*** Delete File: gone.txt\n" +
		"*** End Patch\n"
	// The command goes on once the editor is told of the poll (the test
	// makes the file it waits for then), and still runs half a second
	// more: its last line is printed while the poll waits on it, and so
	// streams. The yield gives the sandboxed shell 2 s to print its first
	// line, which a busy machine may need.
	command := "echo started; until [ -e go-on ]; do sleep 0.02; done; sleep 0.5; echo finished"
	p.mu.Lock()
	p.onNote = func(m msg) {
		var c struct{ CallID string }
		if json.Unmarshal(m.Params, &c); m.Method == "chat/toolCall" && c.CallID == "w1" {
			if err := os.WriteFile(filepath.Join(p.ws, "go-on"), nil, 0o644); err != nil {
				t.Error(err)
			}
		}
	}
	p.mu.Unlock()
	fake.PushCodex(
		upstreamtest.Step().
			CustomCall("p1", "apply_patch", patch).
			Call("x1", "exec_command", callArgs(map[string]any{"cmd": command, "yield_time_ms": 2000})).
			Reply(),
		upstreamtest.Answer(func(body map[string]any) upstreamtest.Reply {
			out, _ := upstreamtest.CallOutput(body, "x1")
			m := runningSession.FindStringSubmatch(out)
			if m == nil {
				return upstreamtest.Text("the command did not yield: " + out)
			}
			return upstreamtest.Step().Call("w1", "write_stdin", `{"session_id":`+m[1]+`,"chars":"","yield_time_ms":10000}`).Reply()
		}),
		upstreamtest.Text("Patched and ran."))
	// untrusted: the command is asked about even where the sandbox would
	// run it without asking.
	r := p.chat(map[string]any{"message": "patch and run", "model": "gpt-5.5", "approvalPolicy": "untrusted"})
	if r.StopReason != "end_turn" || r.Text != "Patched and ran." || r.Steps != 3 {
		t.Fatalf("result %+v", r)
	}

	// The files are as the patch says.
	for path, want := range map[string]string{
		"docs/notes.md": "# Notes\nfirst line\n",
		"main.go":       "package main\n\nfunc main() {\n\tprintln(\"hello\")\n}\n",
		"new/name.txt":  "moved\n",
	} {
		if got, err := os.ReadFile(filepath.Join(p.ws, path)); err != nil || string(got) != want {
			t.Errorf("%s = %q (%v), want %q", path, got, err, want)
		}
	}
	for _, gone := range []string{"old/name.txt", "gone.txt"} {
		if _, err := os.Stat(filepath.Join(p.ws, gone)); err == nil {
			t.Errorf("%s still exists", gone)
		}
	}

	// The first request declares the Codex tools at the top level.
	reqs := fake.RequestsTo(codexPath)
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	first := reqs[0].JSON()
	var names []string
	for _, tool := range first["tools"].([]any) {
		m := tool.(map[string]any)
		name, _ := m["name"].(string)
		if name == "" {
			name, _ = m["type"].(string)
		}
		names = append(names, name)
		if name == "apply_patch" {
			f, _ := m["format"].(map[string]any)
			if m["type"] != "custom" || f["type"] != "grammar" || f["syntax"] != "lark" || !strings.HasPrefix(f["definition"].(string), "start: ") {
				t.Errorf("apply_patch declared as %v", m)
			}
		}
	}
	if want := []string{"exec_command", "write_stdin", "apply_patch", "view_image", "web_search"}; !slices.Equal(names, want) {
		t.Errorf("tools %v, want %v", names, want)
	}

	// The second request answers the custom call with a custom output, in
	// the official client's shape, and the command with its session.
	second := reqs[1].JSON()
	var sawCall bool
	for _, it := range second["input"].([]any) {
		if m := it.(map[string]any); m["type"] == "custom_tool_call" && m["call_id"] == "p1" && m["name"] == "apply_patch" && m["input"] == patch {
			sawCall = true
		}
	}
	out, ok := upstreamtest.CallOutput(second, "p1")
	wantOut := "Success. Updated the following files:\nA docs/notes.md\nM main.go\nM new/name.txt\nD gone.txt\n"
	if !sawCall || !ok || !strings.HasPrefix(out, "Exit code: 0\nWall time: ") || !strings.HasSuffix(out, "Output:\n"+wantOut) {
		t.Errorf("custom call sent back: %v; its output %q", sawCall, out)
	}
	if out, _ := upstreamtest.CallOutput(second, "x1"); !strings.Contains(out, "started") || strings.Contains(out, "finished") {
		t.Errorf("the yielded command's output %q", out)
	}
	if out, _ := upstreamtest.CallOutput(reqs[2].JSON(), "w1"); !strings.Contains(out, "finished") || !strings.Contains(out, "Process exited with code 0") {
		t.Errorf("the poll's output %q", out)
	}

	// One permission request per patch, every file with its diff; the
	// command whole, with where it runs; none for the poll.
	var perms []nativePermission
	for _, m := range p.requests {
		if m.Method == "permission/request" {
			perms = append(perms, decode[nativePermission](t, m.Params))
		}
	}
	if len(perms) != 2 || perms[0].Tool != "apply_patch" || perms[1].Tool != "exec_command" {
		t.Fatalf("permission requests %+v", perms)
	}
	files := perms[0].Preview.Files
	if len(files) != 4 {
		t.Fatalf("patch preview %+v", files)
	}
	wantFiles := [][3]string{{"docs/notes.md", "add", ""}, {"main.go", "update", ""}, {"old/name.txt", "move", "new/name.txt"}, {"gone.txt", "delete", ""}}
	for i, f := range files {
		if f.Path != wantFiles[i][0] || f.Action != wantFiles[i][1] || f.MovePath != wantFiles[i][2] || !strings.HasPrefix(f.Diff, "--- ") {
			t.Errorf("preview file %d: %+v", i, f)
		}
	}
	if !strings.Contains(files[1].Diff, "-\tprintln(\"hi\")\n+\tprintln(\"hello\")\n") {
		t.Errorf("main.go diff %q", files[1].Diff)
	}
	if x := perms[1].Preview; x.Command != command || x.Cwd != p.ws || x.Sandboxed == nil {
		t.Errorf("exec preview %+v", x)
	}

	// The command's output reached the editor while it ran, and the
	// patch's result lists what it changed.
	var streamed strings.Builder
	for _, n := range p.notifications("chat/toolOutput") {
		var o struct{ CallID, Text string }
		json.Unmarshal(n.Params, &o)
		if o.CallID != "x1" && o.CallID != "w1" {
			t.Errorf("chat/toolOutput for %q", o.CallID)
		}
		streamed.WriteString(o.Text)
	}
	if streamed.String() != "started\nfinished\n" {
		t.Errorf("streamed %q", streamed.String())
	}
	for _, n := range p.notifications("chat/toolResult") {
		var tr struct {
			CallID       string
			ChangedPaths []string
		}
		json.Unmarshal(n.Params, &tr)
		if tr.CallID == "p1" {
			slices.Sort(tr.ChangedPaths)
			if want := []string{"docs/notes.md", "gone.txt", "main.go", "new/name.txt", "old/name.txt"}; !slices.Equal(tr.ChangedPaths, want) {
				t.Errorf("changedPaths %v, want %v", tr.ChangedPaths, want)
			}
		}
	}

	// undo puts every file back.
	var u undoResult
	p.ok("undo", map[string]any{"sessionId": r.SessionID}, &u)
	if len(u.Restored) != 5 || len(u.Skipped) != 0 {
		t.Errorf("undo %+v", u)
	}
	for path, want := range map[string]string{
		"main.go":      "package main\n\nfunc main() {\n\tprintln(\"hi\")\n}\n",
		"old/name.txt": "moving\n",
		"gone.txt":     "bye\n",
	} {
		if got, err := os.ReadFile(filepath.Join(p.ws, path)); err != nil || string(got) != want {
			t.Errorf("after undo %s = %q (%v), want %q", path, got, err, want)
		}
	}
	for _, gone := range []string{"docs/notes.md", "new/name.txt"} {
		if _, err := os.Stat(filepath.Join(p.ws, gone)); err == nil {
			t.Errorf("after undo %s still exists", gone)
		}
	}
}

// A patch that cannot apply changes nothing, asks nothing, and tells the
// model which hunk failed with the file's nearby lines.
func TestCodexPatchThatDoesNotApply(t *testing.T) {
	t.Parallel()
	fake, p := permissionServer(t)
	writeFile(t, p.ws, "a.txt", "alpha\nbeta\ngamma\n")
	patch := "*** Begin Patch\n*** Add File: b.txt\n+new\n*** Update File: a.txt\n@@\n alpha\n-delta\n+DELTA\n*** End Patch"
	fake.PushCodex(upstreamtest.Step().CustomCall("p1", "apply_patch", patch).Reply(), upstreamtest.Text("I will read it first."))
	r := p.chat(map[string]any{"message": "patch", "model": "gpt-5.5"})
	if r.StopReason != "end_turn" {
		t.Fatalf("result %+v", r)
	}
	out, _ := upstreamtest.CallOutput(fake.RequestsTo(codexPath)[1].JSON(), "p1")
	for _, want := range []string{"apply_patch verification failed: ", "hunk 1 of 1 (patch line 5) in a.txt", "     2  beta"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(p.ws, "b.txt")); err == nil {
		t.Error("b.txt was written by a patch that failed")
	}
	for _, m := range p.requests {
		if m.Method == "permission/request" {
			t.Errorf("asked about a patch that cannot apply")
		}
	}
}

// initialize says that models get the tools their entry names (1.2).
func TestInitializeSaysNativeTools(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	p := start(t, opts{fake: fake})
	caps, _ := p.initialize(false)["capabilities"].(map[string]any)
	if caps["nativeTools"] != true || caps["images"] != true {
		t.Errorf("capabilities %v lack nativeTools or images", caps)
	}
}

// A pasted or workspace image goes with the message as input_image parts,
// to a model that takes images; a bad one is refused and nothing is sent.
func TestImageAttachments(t *testing.T) {
	t.Parallel()
	fake, p := permissionServer(t)
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
	writeFile(t, p.ws, "shot.png", png)
	pasted := base64.StdEncoding.EncodeToString([]byte(png))
	fake.PushCodex(upstreamtest.Text("I see a pixel."))
	r := p.chat(map[string]any{"message": "what is this", "model": "gpt-5.5", "attachments": []any{
		map[string]any{"type": "image", "path": "shot.png"},
		map[string]any{"type": "image", "mimeType": "image/png", "data": pasted},
	}})
	if r.Text != "I see a pixel." {
		t.Fatalf("result %+v", r)
	}
	body := fake.RequestsTo(codexPath)[0].JSON()
	var images int
	for _, it := range body["input"].([]any) {
		m := it.(map[string]any)
		if m["role"] != "user" {
			continue
		}
		parts, _ := m["content"].([]any)
		for _, part := range parts {
			if pm := part.(map[string]any); pm["type"] == "input_image" && pm["image_url"] == "data:image/png;base64,"+pasted {
				images++
			}
		}
	}
	if images != 2 {
		t.Errorf("%d images sent with the message", images)
	}
	for _, bad := range []map[string]any{
		{"type": "image", "mimeType": "image/png", "data": base64.StdEncoding.EncodeToString([]byte("not an image"))},
		{"type": "image", "mimeType": "image/jpeg", "data": pasted},
		{"type": "image", "path": "../outside.png"},
		{"type": "image", "data": "%%%"},
	} {
		_, err := p.call("chat", map[string]any{"message": "look", "model": "gpt-5.5", "attachments": []any{bad}})
		if err == nil || err.Code != -32602 {
			t.Errorf("attachment %v: %v, want -32602", bad, err)
		}
	}
	if n := len(fake.RequestsTo(codexPath)); n != 1 {
		t.Errorf("%d requests: a refused attachment sent something", n)
	}
}
