package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Tool is one capability the model can call on the workspace. A Tool holds
// no state of its own: one value serves every session, concurrently. The
// one-line text of a permission prompt for a call comes from Describe.
type Tool interface {
	// Name is the function name the model calls.
	Name() string
	// Description teaches the model when and how to use the tool.
	Description() string
	// Schema is the JSON schema of the arguments, generated from the tool's
	// parameter struct.
	Schema() map[string]any
	// ReadOnly reports whether the tool leaves the workspace as it found it.
	// The engine asks for permission before running the others.
	ReadOnly() bool
	// Run executes one call. Mistakes the model can fix come back as a
	// Result with IsError set; the error is for failures of the turn itself,
	// such as ctx being cancelled (the Result may then still carry partial
	// output).
	Run(ctx context.Context, env *Env, args json.RawMessage) (Result, error)
}

// Result is what the model gets back from a tool call.
type Result struct {
	Output  string
	IsError bool
	// Image, from view_image, goes to the model as an input_image in place
	// of Output (which describes it for the editor).
	Image *Image
	// ExitCode is a command's exit status (bash), nil for other tools and
	// for a command that did not end on its own (timed out, cancelled).
	ExitCode *int
}

// Env is what every tool call runs against: the workspace root and the
// session's record of the files the model has seen.
type Env struct {
	// Root is the absolute, symlink-free path of the workspace.
	Root string
	// Ledger records the file versions the model has read or written.
	Ledger *Ledger
	// Execs holds the session's commands that outlive a call
	// (exec_command); Close kills them.
	Execs *Execs
	// Truncation is how much of a command's output the model gets
	// (DefaultTruncation when zero).
	Truncation TruncationPolicy
	// Sandbox, when set, runs the call's command inside the OS sandbox.
	Sandbox *CommandSandbox
	// Home is deckhand's own home, which no tool reaches; nil guards
	// nothing (private.go).
	Home *Home

	// beforeWrite, when set, runs after a write's path is resolved and
	// checked and before anything is written: tests use it to change the
	// tree at the worst moment.
	beforeWrite func()
}

// NewEnv checks that root is an existing directory outside deckhand's home
// and returns an Env for it with an empty Ledger, starting the sweep of the
// temporary files interrupted writes left there. Root is made absolute and
// its symbolic links are resolved, so that confinement compares real paths.
func (h *Home) NewEnv(root string) (*Env, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("workspace root: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("workspace root: %w", err)
	}
	info, err := os.Stat(real)
	if err != nil {
		return nil, fmt.Errorf("workspace root: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("workspace root %s: %w", real, ErrNotDir)
	}
	if real == string(filepath.Separator) || filepath.Dir(real) == real {
		return nil, fmt.Errorf("workspace root %s: %w", real, ErrWholeDisk)
	}
	if h.isPrivate(real) {
		return nil, fmt.Errorf("workspace root %s: %w", real, ErrPrivateRoot)
	}
	h.sweepOnce(real)
	return &Env{Root: real, Ledger: NewLedger(), Execs: NewExecs(), Home: h}, nil
}

// Close kills the session's running commands, with everything they
// started, and refuses new ones.
func (env *Env) Close() {
	if env.Execs != nil {
		env.Execs.Close()
	}
}

func (env *Env) execs() *Execs {
	if env.Execs == nil {
		env.Execs = NewExecs()
	}
	return env.Execs
}

func (env *Env) truncation() TruncationPolicy {
	if env.Truncation.Limit <= 0 {
		return DefaultTruncation
	}
	return env.Truncation
}

// ErrNotDir reports a workspace root that is not a directory.
var ErrNotDir = errors.New("not a directory")

// ErrWholeDisk reports a workspace root that is the file system's root:
// every file on the machine would be in reach of the model.
var ErrWholeDisk = errors.New("the root of the file system cannot be a workspace: open a project folder instead")

// ErrPrivateRoot reports a workspace root inside deckhand's own data folder.
var ErrPrivateRoot = errors.New("deckhand's own data folder (its login and sessions) cannot be a workspace")

// All returns the seven tools in the order read, list, glob, grep, write,
// edit, bash.
func All() []Tool {
	return []Tool{
		readTool{}, listTool{}, globTool{}, grepTool{},
		writeTool{}, editTool{}, bashTool{},
	}
}

// Lookup returns the tool called name.
func Lookup(name string) (Tool, bool) {
	for _, t := range All() {
		if t.Name() == name {
			return t, true
		}
	}
	return nil, false
}

// fail is a tool error the model sees.
func fail(format string, args ...any) Result {
	return Result{Output: fmt.Sprintf(format, args...), IsError: true}
}

// decodeArgs fills params (a pointer to a parameter struct) from the model's
// arguments. Unknown fields are ignored; a wrong type or a missing required
// field is reported as a tool error.
func decodeArgs(args json.RawMessage, params any) (Result, bool) {
	raw := strings.TrimSpace(string(args))
	if raw == "" || raw == "null" {
		raw = "{}"
	}
	var present map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &present); err != nil {
		return fail("invalid arguments: they must be one JSON object, such as {\"path\": \"main.go\"}"), false
	}
	if err := json.Unmarshal([]byte(raw), params); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return fail("invalid arguments: %q must be of type %s, not %s", typeErr.Field, jsonKind(typeErr.Type.Kind()), typeErr.Value), false
		}
		return fail("invalid arguments: they do not match the tool's schema"), false
	}
	for _, name := range requiredFields(params) {
		v, ok := present[name]
		if !ok || string(v) == "null" {
			return fail("invalid arguments: missing required argument %q", name), false
		}
	}
	return Result{}, true
}
