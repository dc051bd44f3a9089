package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The command source of a call: the local machine, or an editor that runs
// commands in terminals of its own (ACP's terminal/*). exec_command runs
// there as it runs here: the command may outlive the call, write_stdin
// polls it, and its output streams while a call waits; an editor's
// terminal takes no input, though.

// Terminals is a source of commands other than the local machine. A value
// is bound to one call (its session, the call that shows the terminal).
type Terminals interface {
	// Start runs command with bash -c in dir, in a new terminal.
	Start(command, dir string) (Terminal, error)
}

// Terminal is one command running in an editor's terminal. Its methods
// may be called after the call that started it ended.
type Terminal interface {
	// Output returns what the command wrote so far (only its end when
	// truncated: the editor keeps a bounded amount) and, once it ended,
	// its exit code (-1 for a signal).
	Output(ctx context.Context) (output string, truncated bool, exit *int, err error)
	// Wait waits for the command's end, or for ctx, and returns its exit
	// code (-1 for a signal).
	Wait(ctx context.Context) (exit int, err error)
	// Kill ends the command; the terminal stays until Release.
	Kill() error
	// Release frees the terminal.
	Release()
}

// Polling an editor's terminal: soon after output, then less often.
const (
	terminalPollMin = 50 * time.Millisecond
	terminalPollMax = 500 * time.Millisecond
	// terminalAfterKill bounds the wait for a killed command's end, which
	// the editor may never report.
	terminalAfterKill = 3 * time.Second
	terminalCallWait  = 10 * time.Second
)

// errNoInput is a write to a command in an editor's terminal.
var errNoInput = errors.New("the command runs in the editor's terminal, which takes no input from deckhand: run it again with its input in the command (a pipe, a here-document, or a flag such as --yes)")

type noInput struct{}

func (noInput) Write([]byte) (int, error) { return 0, errNoInput }

// startOnTerminal runs the command in a terminal of terms, as a process
// whose output is polled from the editor.
func startOnTerminal(terms Terminals, command, dir string) (*process, error) {
	t, err := terms.Start(command, dir)
	if err != nil {
		return nil, err
	}
	killed := make(chan struct{})
	var once bool
	p := &process{
		command: command,
		out:     newHeadTail(execBufferSize),
		wake:    make(chan struct{}, 1),
		ended:   make(chan struct{}),
		started: time.Now(),
		input:   noInput{},
		closeIO: func() {},
		release: func() {},
	}
	p.kill = func() error {
		p.mu.Lock()
		first := !once
		once = true
		p.mu.Unlock()
		if first {
			close(killed)
			return t.Kill()
		}
		return nil
	}
	go p.pollTerminal(t, killed)
	return p, nil
}

// pollTerminal feeds the editor's output of t into p until the command
// ends (or, killed, until the editor says so or terminalAfterKill passed),
// then releases the terminal.
func (p *process) pollTerminal(t Terminal, killed <-chan struct{}) {
	defer close(p.ended)
	defer t.Release()
	code := -1
	defer func() {
		p.mu.Lock()
		p.code = &code
		p.mu.Unlock()
	}()
	seen := ""
	wait := terminalPollMin
	var giveUp <-chan time.Time
	for {
		ctx, cancel := context.WithTimeout(context.Background(), terminalCallWait)
		out, truncated, exit, err := t.Output(ctx)
		cancel()
		if err != nil {
			p.feed("\n[the editor's terminal stopped answering: " + err.Error() + "]\n")
			return
		}
		if fresh := newOutput(seen, out, truncated); fresh != "" {
			p.feed(fresh)
			wait = terminalPollMin
		} else {
			wait = min(wait*2, terminalPollMax)
		}
		seen = out
		if exit != nil {
			code = *exit
			return
		}
		select {
		case <-time.After(wait):
		case <-killed:
			killed = nil
			giveUp = time.After(terminalAfterKill)
		case <-giveUp:
			return
		}
	}
}

// feed adds output as pump does for a local command.
func (p *process) feed(chunk string) {
	p.mu.Lock()
	_, _ = p.out.Write([]byte(chunk))
	sink := p.sink
	p.mu.Unlock()
	if sink != nil {
		sink(chunk)
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// newOutput is what out, the editor's output now, adds to seen, its output
// at the last poll. A truncated output keeps only its end: where the end
// of seen is found in it, what follows is new; else all of it is.
func newOutput(seen, out string, truncated bool) string {
	if strings.HasPrefix(out, seen) {
		return out[len(seen):]
	}
	if !truncated {
		return out // the editor started over: take it as it is
	}
	for _, n := range []int{4096, 512, 64} {
		if len(seen) < n {
			continue
		}
		if i := strings.LastIndex(out, seen[len(seen)-n:]); i >= 0 {
			return out[i+n:]
		}
	}
	return "[output cut by the editor's terminal]\n" + out
}

// bashOnTerminal is bash's run in an editor's terminal: the same limits,
// output and statuses as on the local machine.
func bashOnTerminal(ctx context.Context, env *Env, command string, timeout time.Duration, note string) (Result, error) {
	t, err := env.Terminals.Start(command, env.Root)
	if err != nil {
		return fail("the editor could not run the command: %v", err), nil
	}
	defer t.Release()
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	code, err := t.Wait(runCtx)
	ended := err == nil
	if !ended {
		if runCtx.Err() == nil {
			return fail("the editor's terminal failed: %v", err), nil
		}
		_ = t.Kill()
	}
	// The output so far, whatever ended the wait.
	octx, ocancel := context.WithTimeout(context.WithoutCancel(ctx), terminalCallWait)
	defer ocancel()
	text, truncated, _, oerr := t.Output(octx)
	if oerr != nil && text == "" {
		text = fmt.Sprintf("(the editor did not give the output: %v)\n", oerr)
	}
	out := newHeadTail(bashMaxOutput)
	if truncated {
		_, _ = out.Write([]byte("[the editor's terminal kept only the end of the output]\n"))
	}
	_, _ = out.Write([]byte(text))
	output := note + out.String()
	switch {
	case ctx.Err() != nil:
		return Result{Output: withStatus(output, "cancelled: the command was killed"), IsError: true}, ctx.Err()
	case !ended:
		return Result{Output: withStatus(output, fmt.Sprintf("timed out after %v: the command was killed", timeout)), IsError: true}, nil
	}
	status := fmt.Sprintf("exit code: %d", code)
	if code < 0 {
		status = "killed by a signal"
	}
	return Result{Output: withStatus(output, status), ExitCode: &code}, nil
}
