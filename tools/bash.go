package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	bashDefaultTimeout = 2 * time.Minute
	bashMaxTimeout     = 10 * time.Minute
	bashMaxOutput      = 30 << 10 // bytes kept, half from the start, half from the end
	// bashWaitDelay bounds the wait for output after the command ended and
	// its group was killed, when a process that left the group still holds
	// the pipe.
	bashWaitDelay = 2 * time.Second
)

type bashParams struct {
	Command   string `json:"command" desc:"The shell command, run as bash -c in the workspace root."`
	TimeoutMs int    `json:"timeoutMs,omitempty" desc:"Timeout in milliseconds. Default 120000 (2 minutes), at most 600000 (10 minutes)."`
	// The engine reads these two to decide whether the command runs in the
	// sandbox (engine/approval.go); the tool itself only runs what it is
	// given.
	SandboxPermissions string `json:"sandbox_permissions,omitempty" desc:"Per-command sandbox override: use_default (the default) or require_escalated, to ask the user to run this command outside the sandbox (for the network, or writing outside the workspace). Give a justification with it."`
	Justification      string `json:"justification,omitempty" desc:"With require_escalated: the question the user is asked, saying why the command must run outside the sandbox. Omit otherwise."`
}

type bashTool struct{}

func (bashTool) Name() string { return "bash" }

func (bashTool) ReadOnly() bool { return false }

func (bashTool) Schema() map[string]any { return schemaOf(bashParams{}) }

func (bashTool) Description() string {
	return `Run a shell command with bash -c in the workspace root, and get its output (stdout and stderr together, in order) and exit code.
- Use it to build, run tests, use git, and run the project's own tools. To read, find or change files prefer read, list, glob, grep, write and edit: they are faster and safer.
- Every call starts afresh in the workspace root: cd and variables do not carry over, so chain steps with && in one command.
- Standard input is empty: use non-interactive flags (git --no-pager, apt-get -y, npm --yes).
- Secrets are kept out of the environment: OPENAI_* and DECKHAND_* variables, any whose name holds KEY, SECRET, TOKEN, PASSWORD, COOKIE, CREDENTIAL, PRIVATE or a word PAT, PWD, JWT, DSN, SAS, WEBHOOK, AUTH* or PASS*, a session (BW_SESSION, OP_SESSION_*) or a connection string, and any value that is a URL or connection string with a password or a known token, are unset.
- The command is killed, with everything it started, after timeoutMs (default 2 minutes, at most 10); processes left in the background are killed when it ends.
- Output over 30 KiB is cut in the middle, keeping the start and the end; pipe through head, tail or grep for long output.
- A non-zero exit code is reported, not treated as a failure of the tool.
- Commands may run in a sandbox that lets them write only the workspace and temp folders and reach no network. When a command needs more, run it again with sandbox_permissions "require_escalated" and a justification: the user is asked to let it run outside the sandbox.`
}

func (t bashTool) Run(ctx context.Context, env *Env, args json.RawMessage) (Result, error) {
	var p bashParams
	if res, ok := decodeArgs(args, &p); !ok {
		return res, nil
	}
	if strings.TrimSpace(p.Command) == "" {
		return fail("invalid arguments: command must not be empty"), nil
	}
	if p.TimeoutMs < 0 {
		return fail("invalid arguments: timeoutMs must be positive"), nil
	}
	timeout, note := bashDefaultTimeout, ""
	switch {
	case int64(p.TimeoutMs) > bashMaxTimeout.Milliseconds():
		// Compared before converting: a huge value would overflow.
		timeout = bashMaxTimeout
		note = fmt.Sprintf("(timeoutMs %d is above the maximum; using %d)\n", p.TimeoutMs, bashMaxTimeout.Milliseconds())
	case p.TimeoutMs > 0:
		timeout = time.Duration(p.TimeoutMs) * time.Millisecond
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if env.Terminals != nil {
		return bashOnTerminal(ctx, env, p.Command, timeout, note)
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	argv, extraEnv := []string{"bash", "-c", p.Command}, []string(nil)
	if env.Sandbox != nil {
		// The command's own temp dir, writable in the sandbox, is its
		// TMPDIR; it goes when the command ends.
		tmp, err := os.MkdirTemp("", "deckhand-cmd-")
		if err != nil {
			return fail("the sandbox cannot run this command: temp dir: %v", err), nil
		}
		defer os.RemoveAll(tmp)
		if argv, err = env.Sandbox.Wrap(argv, tmp); err != nil {
			return fail("the sandbox cannot run this command: %v", err), nil
		}
		extraEnv = []string{"TMPDIR=" + tmp}
	}
	run, detached, err := runGroup(runCtx, env.Root, argv, extraEnv...)
	if err != nil {
		return fail("cannot start bash: %v", err), nil
	}
	output := note + run.output.String()
	switch {
	case ctx.Err() != nil:
		return Result{Output: withStatus(output, "cancelled: the command and everything it started were killed"), IsError: true}, ctx.Err()
	case run.killed() && errors.Is(runCtx.Err(), context.DeadlineExceeded):
		return Result{Output: withStatus(output, fmt.Sprintf("timed out after %v: the command and everything it started were killed", timeout)), IsError: true}, nil
	}
	status := exitStatus(run.state)
	if detached {
		status += "\n(a process it started left the process group and still holds the output open; output after the command ended is not shown)"
	}
	if env.Sandbox != nil && env.Sandbox.Hint != "" && run.state != nil && run.state.ExitCode() != 0 && sandboxDenial(output) {
		status += "\n" + env.Sandbox.Hint
	}
	res := Result{Output: withStatus(output, status)}
	if run.state != nil {
		code := run.state.ExitCode()
		res.ExitCode = &code
	}
	return res, nil
}

// groupRun is what runGroup reports of a finished command.
type groupRun struct {
	output *headTail
	state  *os.ProcessState
}

// killed reports whether bash died of a signal.
func (r groupRun) killed() bool {
	if r.state == nil {
		return false
	}
	ws, ok := r.state.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled()
}

// runGroup runs argv (bash -c command, maybe inside the sandbox) in dir, in a process group of its own, with
// stdout and stderr on one pipe so that their output interleaves as written.
// When ctx ends the whole group is killed; when the command ends, whatever
// it left running in the group is killed too. detached reports that the
// pipe stayed open even so (a process that left the group holds it); the
// reading then stops after bashWaitDelay.
func runGroup(ctx context.Context, dir string, argv []string, extraEnv ...string) (run groupRun, detached bool, err error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return groupRun{}, false, fmt.Errorf("pipe: %w", err)
	}
	defer pr.Close()
	group, err := newProcGroup()
	if err != nil {
		pw.Close()
		return groupRun{}, false, err
	}
	defer group.release()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(commandEnv(os.Environ()), extraEnv...)
	cmd.Stdout = pw // an *os.File: the child writes to it directly
	cmd.Stderr = pw
	cmd.SysProcAttr = group.attr()
	cmd.Cancel = func() error { return group.kill(cmd.Process.Pid) }
	err = cmd.Start()
	pw.Close() // the children hold their own copies
	if err != nil {
		return groupRun{}, false, err
	}
	run.output = newHeadTail(bashMaxOutput)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(run.output, pr)
	}()
	_ = cmd.Wait() // the exit status is in ProcessState
	run.state = cmd.ProcessState
	_ = group.kill(cmd.Process.Pid)
	timer := time.NewTimer(bashWaitDelay)
	defer timer.Stop()
	select {
	case <-copied:
	case <-timer.C:
		detached = true
		pr.Close() // ends the copy
		<-copied
	}
	return run, detached, nil
}

// commandEnv is the environment a command runs with: deckhand's own, less
// its credentials and whatever looks like a secret (see secretVar).
func commandEnv(environ []string) []string {
	var extra []string // the user's own additions: DECKHAND_HIDE_ENV
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "DECKHAND_HIDE_ENV="); ok {
			extra = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == ':' })
		}
	}
	kept := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if !secretVar(name, value) && !userHidden(name, extra) {
			kept = append(kept, kv)
		}
	}
	return kept
}

// userHidden reports whether name matches one of the user's patterns (a
// name, or a glob with *: MYCO_*), in any case.
func userHidden(name string, patterns []string) bool {
	for _, p := range patterns {
		if ok, err := path.Match(strings.ToUpper(p), strings.ToUpper(name)); err == nil && ok {
			return true
		}
	}
	return false
}

// keptVars are named like secrets but are not, and commands need them.
var keptVars = map[string]bool{"SSH_AUTH_SOCK": true, "PWD": true, "OLDPWD": true, "DESKTOP_SESSION": true}

// secretVar reports whether a variable is kept from commands: OPENAI_* and
// DECKHAND_* variables; a name holding KEY, SECRET, TOKEN, COOKIE,
// CREDENTIAL or PRIVATE, in any case; a name with a word PAT or a word
// starting with AUTH or PASS (GITHUB_PAT, BASIC_AUTH, HTTP_AUTHORIZATION,
// PGPASSWORD's PASS... but not PATH, GIT_AUTHOR_NAME or SSH_AUTH_SOCK); and
// any value that is a URL with a password (DATABASE_URL=postgres://u:pw@h).
func secretVar(name, value string) bool {
	upper := strings.ToUpper(name)
	if keptVars[upper] {
		return false
	}
	if strings.HasPrefix(upper, "OPENAI_") || strings.HasPrefix(upper, "DECKHAND_") {
		return true
	}
	for _, word := range []string{"KEY", "SECRET", "TOKEN", "COOKIE", "CREDENTIAL", "PRIVATE", "PASSWORD", "PASSWD"} {
		if strings.Contains(upper, word) {
			return true
		}
	}
	words := strings.FieldsFunc(upper, func(r rune) bool { return r < 'A' || r > 'Z' })
	for i, word := range words {
		switch {
		case word == "PAT", word == "PWD", word == "JWT", word == "DSN", word == "SAS", word == "WEBHOOK",
			word == "CONNSTR", word == "CONNECTIONSTRING",
			strings.HasPrefix(word, "AUTH") && word != "AUTHOR" && word != "AUTHORS",
			strings.HasPrefix(word, "PASS"),
			word == "SESSION" && (i == len(words)-1 || i > 0 && words[0] == "OP"): // BW_SESSION, OP_SESSION_my
			return true
		case word == "CONNECTION" || word == "CONN":
			if i+1 < len(words) && (words[i+1] == "STRING" || words[i+1] == "STR") {
				return true
			}
		}
	}
	return urlWithPassword().MatchString(value) || secretValue().MatchString(value)
}

// secretValue finds values that are secrets whatever their name: a
// connection string with a password, a JWT, and tokens with the prefixes
// their issuers give them (GitHub, GitLab, Slack, OpenAI and Stripe, AWS,
// Google, npm, PyPI, Hugging Face). Compiled on first use: compiling it
// at package init cost every start of deckhand a quarter of a millisecond.
var secretValue = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(^|;)\s*(password|pwd)\s*=|` +
		`^eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.|` +
		`^(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{16,}|xox[abposr]-[A-Za-z0-9-]{10,}|` +
		`sk-[A-Za-z0-9_-]{20,}|[sr]k_live_[A-Za-z0-9]{16,}|(AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}|ya29\.[0-9A-Za-z_-]{20,}|` +
		`npm_[A-Za-z0-9]{30,}|pypi-[A-Za-z0-9_-]{30,}|hf_[A-Za-z0-9]{30,})`)
})

// urlWithPassword finds scheme://user:password@ in a value (compiled on
// first use, as secretValue).
var urlWithPassword = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^/\s@:]*:[^/\s@]*@`)
})

// exitStatus describes how the command ended.
func exitStatus(state *os.ProcessState) string {
	if state == nil {
		return "exit code: unknown"
	}
	status := fmt.Sprintf("exit code: %d", state.ExitCode())
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		status += fmt.Sprintf(" (killed by signal: %v)", ws.Signal())
	}
	return status
}

func withStatus(output, status string) string {
	if output == "" {
		return "(no output)\n" + status
	}
	if !strings.HasSuffix(output, "\n") {
		output += "\n"
	}
	return output + status
}
