package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// demo shows deckhand's main job without an OpenAI account: a fake of OpenAI
// built into the binary plays a ChatGPT device-code login and a model that
// looks at a file and patches it, while this process plays the editor and
// prints the JSON-RPC traffic it exchanges with a real deckhand child. The
// model is the default one, with its real tool set (code mode).
func demo(ctx context.Context, o *options, stdout, stderr io.Writer) int {
	if err := runDemo(ctx, stdout); err != nil {
		fmt.Fprintln(stderr, "deckhand demo:", err)
		return 1
	}
	return 0
}

const demoFile = `package main

import "fmt"

func main() {
	fmt.Println("Hello, wrold!")
}
`

func runDemo(ctx context.Context, out io.Writer) error {
	fake := upstreamtest.New()
	defer fake.Close()
	fake.AutoApproveDevice(1)
	tmp, err := os.MkdirTemp("", "deckhand-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	home, ws := filepath.Join(tmp, "home"), filepath.Join(tmp, "workspace")
	if err := os.MkdirAll(ws, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(ws, "hello.go"), []byte(demoFile), 0o644); err != nil {
		return err
	}
	scriptDemoModel(fake)

	self, err := os.Executable()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "--log-level", "warn")
	cmd.Dir = ws
	cmd.Env = append(os.Environ(),
		"DECKHAND_HOME="+home,
		"DECKHAND_AUTH_ISSUER="+fake.Issuer(),
		"DECKHAND_CODEX_BASE_URL="+fake.CodexBase(),
		"OPENAI_BASE_URL="+fake.APIBase(),
		"OPENAI_API_KEY=",
	)
	cmd.Stderr = os.Stderr
	ed, err := startEditor(cmd, out)
	if err != nil {
		return err
	}
	defer ed.close()

	say := func(s string) { fmt.Fprintf(out, "\n\033[1m# %s\033[0m\n", s) }
	say("The editor starts deckhand and says hello (workspace: a temporary folder with hello.go).")
	if _, err := ed.call("initialize", map[string]any{"clientInfo": map[string]any{"name": "deckhand-demo", "version": version},
		"workspaceRoot": ws, "capabilities": map[string]any{"permissions": true}}); err != nil {
		return err
	}
	say("It asks how the user can log in, and shows the three ways as a picker.")
	if _, err := ed.call("connect", map[string]any{"provider": "openai"}); err != nil {
		return err
	}
	say("The user picks ChatGPT Plus/Pro (headless): deckhand asks OpenAI for a device code.")
	res, err := ed.call("startOAuth", map[string]any{"provider": "openai", "method": "headless"})
	if err != nil {
		return err
	}
	var flow struct{ FlowID, UserCode, VerificationURL string }
	json.Unmarshal(res, &flow)
	say(fmt.Sprintf("The editor shows: open %s and enter %s. (The fake OpenAI approves it at once.)", flow.VerificationURL, flow.UserCode))
	if _, err := ed.waitNotification("auth/completed"); err != nil {
		return err
	}
	say("Logged in. The user asks for a fix. The model works in code mode: one script runs commands to look, another patches the file, and deckhand asks before the patch.")
	if _, err := ed.call("chat", map[string]any{"message": "hello.go prints a typo; fix it."}); err != nil {
		return err
	}
	say("The file in the workspace now reads:")
	b, err := os.ReadFile(filepath.Join(ws, "hello.go"))
	if err != nil {
		return err
	}
	fmt.Fprint(out, string(b))
	say("The editor closes deckhand.")
	if _, err := ed.call("shutdown", nil); err != nil {
		return err
	}
	ed.notify("exit", nil)
	return ed.wait()
}

// The demo model's two scripts. The default model works in code mode: it is
// offered exec and wait, and calls deckhand's tools from JavaScript run in
// exec (docs/protocol.md §19); each nested call is asked for and reported
// as a direct one would be.
const (
	demoLook = `const files = await tools.exec_command({cmd: "ls"});
const source = await tools.exec_command({cmd: "cat hello.go"});
return files + "\n" + source;`
	demoFix = `return await tools.apply_patch(` + "`" + `*** Begin Patch
*** Update File: hello.go
@@
-	fmt.Println("Hello, wrold!")
+	fmt.Println("Hello, world!")
*** End Patch` + "`" + `);`
)

// scriptDemoModel queues the fake model's three steps.
func scriptDemoModel(fake *upstreamtest.Server) {
	d := 15 * time.Millisecond
	fake.PushCodex(
		upstreamtest.Step().DelayPerEvent(d).Reasoning("Looking at the workspace first.", "enc-1").
			Text("Let me look at the workspace.").CustomCall("call_1", "exec", demoLook).Usage(900, 60).Reply(),
		upstreamtest.Step().DelayPerEvent(d).Text("Found it: \"wrold\" should be \"world\".").
			CustomCall("call_2", "exec", demoFix).Usage(1100, 80).Reply(),
		upstreamtest.Step().DelayPerEvent(d).Text("Fixed the typo in hello.go: it now prints \"Hello, world!\".").Usage(1200, 30).Reply(),
	)
}

// editor is the demo's side of the protocol: newline-delimited JSON-RPC to a
// deckhand child, printing every frame.
type editor struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   io.Writer
	mu    sync.Mutex
	next  int
	lines chan map[string]any
	done  chan error
}

func startEditor(cmd *exec.Cmd, out io.Writer) (*editor, error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	r, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ed := &editor{cmd: cmd, in: in, out: out, lines: make(chan map[string]any, 256), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				ed.print("←", sc.Bytes())
				ed.lines <- m
			}
		}
		close(ed.lines)
	}()
	return ed, nil
}

func (ed *editor) print(dir string, frame []byte) {
	ed.mu.Lock()
	defer ed.mu.Unlock()
	fmt.Fprintf(ed.out, "%s %s\n", dir, strings.TrimSpace(string(frame)))
}

func (ed *editor) send(m map[string]any) {
	b, _ := json.Marshal(m)
	ed.print("→", b)
	ed.in.Write(append(b, '\n'))
}

func (ed *editor) notify(method string, params any) {
	m := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		m["params"] = params
	}
	ed.send(m)
}

// call sends a request and waits for its answer, answering permission
// requests ("allow") on the way.
func (ed *editor) call(method string, params any) (json.RawMessage, error) {
	ed.next++
	id := float64(ed.next)
	m := map[string]any{"jsonrpc": "2.0", "id": ed.next, "method": method}
	if params != nil {
		m["params"] = params
	}
	ed.send(m)
	for msg := range ed.lines {
		if msg["method"] == "permission/request" {
			ed.send(map[string]any{"jsonrpc": "2.0", "id": msg["id"], "result": map[string]any{"decision": "allow"}})
			continue
		}
		if msg["id"] == id && msg["method"] == nil {
			if e, ok := msg["error"].(map[string]any); ok {
				return nil, fmt.Errorf("%s failed: %v", method, e["message"])
			}
			b, _ := json.Marshal(msg["result"])
			return b, nil
		}
	}
	return nil, fmt.Errorf("deckhand closed before answering %s", method)
}

func (ed *editor) waitNotification(method string) (map[string]any, error) {
	for msg := range ed.lines {
		if msg["method"] == method {
			return msg, nil
		}
	}
	return nil, fmt.Errorf("deckhand closed before %s", method)
}

func (ed *editor) wait() error {
	ed.in.Close()
	for range ed.lines {
	}
	return ed.cmd.Wait()
}

func (ed *editor) close() {
	ed.in.Close()
	if ed.cmd.ProcessState == nil {
		ed.cmd.Process.Kill()
		ed.cmd.Wait()
	}
}
