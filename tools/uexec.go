package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// The two tools of unified exec, named and shaped as the Codex models were
// trained on them: exec_command starts a command, write_stdin feeds or polls
// one that is still running.

const (
	execDefaultYield = 10 * time.Second
	execMinYield     = 250 * time.Millisecond
	execMaxYield     = 30 * time.Second
	writeDefaultPoll = 5 * time.Second
	writeMaxPoll     = 5 * time.Minute
)

type execCommandParams struct {
	Cmd                string   `json:"cmd" desc:"The shell command to run."`
	Workdir            string   `json:"workdir,omitempty" desc:"Directory to run it in. Defaults to the workspace root."`
	Shell              string   `json:"shell,omitempty" desc:"Shell binary to run it with. Defaults to the user's shell."`
	Login              *bool    `json:"login,omitempty" desc:"Run the shell as a login shell (reads the user's profile). Defaults to false."`
	TTY                bool     `json:"tty,omitempty" desc:"Run the command in a PTY, for interactive programs. Defaults to plain pipes."`
	YieldTimeMs        float64  `json:"yield_time_ms,omitempty" desc:"How long to wait for the command before returning its output so far, in ms. Defaults to 10000; between 250 and 30000."`
	MaxOutputTokens    float64  `json:"max_output_tokens,omitempty" desc:"Most tokens of output to return. Defaults to the model's output budget; longer output keeps its start and end."`
	SandboxPermissions string   `json:"sandbox_permissions,omitempty" enum:"use_default,require_escalated" desc:"Defaults to use_default. Use require_escalated to ask the user to run the command outside the sandbox, with a justification."`
	Justification      string   `json:"justification,omitempty" desc:"With require_escalated: the question shown to the user, saying why the command needs it."`
	PrefixRule         []string `json:"prefix_rule,omitempty" desc:"With require_escalated: a command prefix the user may approve for later commands too."`
}

type writeStdinParams struct {
	SessionID       float64 `json:"session_id" desc:"The session ID a running command was given."`
	Chars           string  `json:"chars,omitempty" desc:"Text to write to the command's input. Leave empty to wait for more output without writing."`
	YieldTimeMs     float64 `json:"yield_time_ms,omitempty" desc:"How long to wait for output before returning, in ms. After a write, defaults to 250 (at most 30000); for an empty poll, defaults to 5000 (at most 300000)."`
	MaxOutputTokens float64 `json:"max_output_tokens,omitempty" desc:"Most tokens of output to return. Defaults to the model's output budget."`
}

type execCommandTool struct{}

func (execCommandTool) Name() string           { return "exec_command" }
func (execCommandTool) ReadOnly() bool         { return false }
func (execCommandTool) Schema() map[string]any { return schemaOf(execCommandParams{}) }
func (execCommandTool) Description() string {
	return "Runs a shell command in the workspace and returns its output, or a session ID to continue with write_stdin if it is still running."
}

type writeStdinTool struct{}

func (writeStdinTool) Name() string { return "write_stdin" }

// ReadOnly: write_stdin changes nothing by itself; it feeds a command
// that was allowed when it started, under that approval.
func (writeStdinTool) ReadOnly() bool         { return true }
func (writeStdinTool) Schema() map[string]any { return schemaOf(writeStdinParams{}) }
func (writeStdinTool) Description() string {
	return "Writes to the input of a command that is still running, or polls it, and returns the output since the last call."
}

// ExecTools returns exec_command and write_stdin.
func ExecTools() []Tool { return []Tool{execCommandTool{}, writeStdinTool{}} }

// ExecRequest is what an exec_command call asks, for its permission prompt.
type ExecRequest struct {
	Command       string
	Workdir       string // as the model gave it; "" for the workspace root
	Escalated     bool   // sandbox_permissions: require_escalated
	Justification string
}

// ParseExecRequest reads an exec_command call's arguments for its prompt.
func ParseExecRequest(args json.RawMessage) (ExecRequest, bool) {
	var p execCommandParams
	if err := json.Unmarshal(args, &p); err != nil || strings.TrimSpace(p.Cmd) == "" {
		return ExecRequest{}, false
	}
	return ExecRequest{Command: p.Cmd, Workdir: p.Workdir, Escalated: p.SandboxPermissions == "require_escalated", Justification: p.Justification}, true
}

type outputSinkKey struct{}

// WithOutputSink returns a context under which exec_command and write_stdin
// send a command's output to sink as it comes, while they wait on it. sink
// is called from another goroutine, and must not block for long.
func WithOutputSink(ctx context.Context, sink func(text string)) context.Context {
	return context.WithValue(ctx, outputSinkKey{}, sink)
}

func outputSink(ctx context.Context) func(string) {
	sink, _ := ctx.Value(outputSinkKey{}).(func(string))
	return sink
}

func (execCommandTool) Run(ctx context.Context, env *Env, args json.RawMessage) (Result, error) {
	var p execCommandParams
	if res, ok := decodeArgs(args, &p); !ok {
		return res, nil
	}
	if strings.TrimSpace(p.Cmd) == "" {
		return fail("invalid arguments: cmd must not be empty"), nil
	}
	dir := env.Root
	if p.Workdir != "" {
		real, res, ok := env.resolve(p.Workdir)
		if !ok {
			return res, nil
		}
		if info, err := os.Stat(real); err != nil || !info.IsDir() {
			return fail("workdir %q is not a directory of the workspace", p.Workdir), nil
		}
		dir = real
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	began := time.Now()
	var proc *process
	var err error
	if env.Terminals != nil {
		// The editor runs it, in a terminal of its own (with bash).
		proc, err = startOnTerminal(env.Terminals, p.Cmd, dir)
	} else {
		proc, err = start(startSpec{dir: dir, shell: shellFor(p.Shell), login: p.Login != nil && *p.Login, tty: p.TTY, command: p.Cmd, sandbox: env.Sandbox})
	}
	if err != nil {
		return fail("cannot start the command: %v", err), nil
	}
	pruned, err := env.execs().add(proc)
	if err != nil {
		proc.stop()
		return fail("%v", err), nil
	}
	note := ""
	if pruned != 0 {
		note = fmt.Sprintf("(session %d, the least recently used, was ended: at most %d commands run at once)\n", pruned, MaxExecSessions)
	}
	yield := clampYield(p.YieldTimeMs, execDefaultYield, execMinYield, execMaxYield)
	return env.report(ctx, proc, began, yield, int(p.MaxOutputTokens), note)
}

func (writeStdinTool) Run(ctx context.Context, env *Env, args json.RawMessage) (Result, error) {
	var p writeStdinParams
	if res, ok := decodeArgs(args, &p); !ok {
		return res, nil
	}
	id := int(p.SessionID)
	proc, ok := env.execs().get(id)
	if !ok {
		return fail("no command is running with session ID %d: it ended (its exit code was returned then), or was never started", id), nil
	}
	began := time.Now()
	yield := clampYield(p.YieldTimeMs, writeDefaultPoll, execMinYield, writeMaxPoll)
	if p.Chars != "" {
		if _, err := proc.input.Write([]byte(p.Chars)); err != nil {
			return fail("cannot write to session %d: %v", id, err), nil
		}
		yield = clampYield(p.YieldTimeMs, execMinYield, execMinYield, execMaxYield)
	}
	return env.report(ctx, proc, began, yield, int(p.MaxOutputTokens), "")
}

// report waits on proc for up to yield and tells the model what came: the
// output since the last call and whether the command still runs. A
// cancelled ctx kills the command.
func (env *Env) report(ctx context.Context, proc *process, began time.Time, yield time.Duration, maxTokens int, note string) (Result, error) {
	ended := proc.await(ctx, began.Add(yield), outputSink(ctx))
	if !ended && ctx.Err() != nil {
		env.execs().remove(proc.id)
		proc.stop()
		head, tail, omitted := proc.take()
		text := truncateParts(head, tail, omitted, env.truncation().withTokens(maxTokens))
		return Result{Output: withStatus(text, "cancelled: the command and everything it started were killed"), IsError: true}, ctx.Err()
	}
	head, tail, omitted := proc.take()
	policy := env.truncation().withTokens(maxTokens)
	var b strings.Builder
	fmt.Fprintf(&b, "Chunk ID: %06x\n", rand.IntN(1<<24))
	fmt.Fprintf(&b, "Wall time: %.4f seconds\n", time.Since(began).Seconds())
	if ended {
		env.execs().remove(proc.id)
		fmt.Fprintf(&b, "Process exited with code %d\n", proc.exitCode())
	} else {
		fmt.Fprintf(&b, "Process running with session ID %d\n", proc.id)
	}
	fmt.Fprintf(&b, "Original token count: %d\n", approxTokens(int64(len(head)+len(tail))+omitted))
	b.WriteString("Output:\n")
	b.WriteString(note)
	text := truncateParts(head, tail, omitted, policy)
	b.WriteString(text)
	if ended && env.Sandbox != nil && env.Sandbox.Hint != "" && proc.exitCode() != 0 && sandboxDenial(text) {
		b.WriteString("\n" + env.Sandbox.Hint)
	}
	return Result{Output: b.String()}, nil
}

func clampYield(ms float64, def, lo, hi time.Duration) time.Duration {
	if ms <= 0 {
		return def
	}
	d := time.Duration(ms * float64(time.Millisecond))
	return min(max(d, lo), hi)
}

// shellFor is the shell a command runs with: the one asked for, else the
// user's login shell when it is an absolute path, else bash.
func shellFor(asked string) string {
	if asked != "" {
		return asked
	}
	if runtime.GOOS == "windows" {
		return "bash"
	}
	if sh := os.Getenv("SHELL"); filepath.IsAbs(sh) {
		return sh
	}
	return "bash"
}
