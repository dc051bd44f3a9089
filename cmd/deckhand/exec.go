package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/deckhand-dev/deckhand/engine"
)

// terminal is an engine.Client that prints a turn for a person and, when
// it has one, asks them before a tool changes anything.
type terminal struct {
	mu     sync.Mutex
	out    io.Writer
	inText bool
	ask    *bufio.Reader // answers to permission prompts; nil: deny
	prompt io.Writer
}

func (t *terminal) TurnEvent(ev engine.TurnEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch ev.Kind {
	case engine.EventDelta:
		fmt.Fprint(t.out, ev.Text)
		t.inText = true
		return
	case engine.EventReasoning:
		return
	}
	if t.inText {
		fmt.Fprintln(t.out)
		t.inText = false
	}
	switch ev.Kind {
	case engine.EventToolCall:
		fmt.Fprintf(t.out, "▸ %s %s\n", ev.Name, compact(ev.Arguments))
	case engine.EventToolResult:
		mark := "✓"
		if !ev.OK {
			mark = "✗"
		}
		fmt.Fprintf(t.out, "  %s %s\n", mark, indent(firstLines(ev.Output, 8)))
	}
}

func (t *terminal) LoginCompleted(engine.LoginEvent) {}

// Review implements engine.Client: the person at the terminal answers.
func (t *terminal) Review(ctx context.Context, req engine.PermissionRequest) (engine.Verdict, error) {
	if t.ask == nil {
		return engine.Verdict{Decision: engine.Deny}, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.inText {
		fmt.Fprintln(t.out)
		t.inText = false
	}
	showPreview(t.prompt, req.Preview)
	fmt.Fprintf(t.prompt, "%s — allow? [y]es, [n]o, [a]lways for %s: ", req.Description, req.Tool)
	line, err := t.ask.ReadString('\n')
	if err != nil && line == "" {
		return engine.Verdict{Decision: engine.Deny}, nil
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return engine.Verdict{Decision: engine.Allow}, nil
	case "a", "always":
		return engine.Verdict{Decision: engine.AllowAlways}, nil
	default:
		return engine.Verdict{Decision: engine.Deny}, nil
	}
}

// isTerminal says whether f is a terminal a person can answer prompts on.
func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

func compact(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return cut(string(b), 200)
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append(lines[:n], fmt.Sprintf("… (%d more lines)", len(lines)-n))
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// execTurn runs one turn in the current directory and prints it.
func execTurn(ctx context.Context, o *options, log *zap.Logger, args []string, stdin *os.File, stdout, stderr io.Writer) int {
	prompt := strings.TrimSpace(strings.Join(args, " "))
	if prompt == "" {
		fmt.Fprintln(stderr, `deckhand exec: give a prompt, e.g. deckhand exec "explain main.go"`)
		return 2
	}
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(stderr, "deckhand exec:", err)
		return 1
	}
	eng := newEngine(o, log, false)
	defer eng.Close()
	term := &terminal{out: stdout, prompt: stderr}
	interactive := stdin != nil && isTerminal(stdin)
	if interactive {
		term.ask = bufio.NewReader(stdin)
	}
	if _, err := eng.Attach(term, wd, interactive); err != nil {
		fmt.Fprintln(stderr, "deckhand exec:", err)
		return 1
	}
	req := engine.ChatRequest{Message: prompt}
	if o.resume.set {
		id, rest, err := resumeTarget(eng, o.resume, wd, args)
		if err != nil {
			fmt.Fprintln(stderr, "deckhand exec:", sayError(err))
			return 1
		}
		req.SessionID, req.Message = id, strings.TrimSpace(strings.Join(rest, " "))
		if req.Message == "" {
			fmt.Fprintln(stderr, `deckhand exec: give a prompt after the session, e.g. deckhand exec --resume ses_… "go on"`)
			return 2
		}
	}
	res, err := eng.Chat(ctx, req)
	term.mu.Lock()
	if term.inText {
		fmt.Fprintln(stdout)
	}
	term.mu.Unlock()
	if err != nil {
		fmt.Fprintln(stderr, "deckhand exec:", sayError(err))
		var ar *engine.AuthRequiredError
		if errors.As(err, &ar) {
			fmt.Fprintln(stderr, "Log in with `deckhand login`, or set OPENAI_API_KEY.")
		}
		return 1
	}
	fmt.Fprintf(stderr, "[%s after %d steps, %d tokens in, %d out; session %s]\n", res.StopReason, res.Steps, res.Usage.InputTokens, res.Usage.OutputTokens, res.SessionID)
	if res.StopReason != engine.StopEndTurn {
		return 1
	}
	return 0
}
