package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/deckhand-dev/deckhand/tools/patch"
)

// apply_patch, the freeform tool the Codex models write patches with. The
// format, its parser and the all-or-nothing application live in
// tools/patch; here the patch runs over the workspace with the same
// confinement as write and edit (links followed one step at a time, writes
// through an os.Root, deckhand's own folder out of reach).

// Freeform is a tool whose input is free text held to a grammar (a custom
// tool of the Responses API), not JSON arguments.
type Freeform interface {
	Tool
	// Grammar returns the syntax ("lark") and the definition the model's
	// input is held to.
	Grammar() (syntax, definition string)
}

type applyPatchTool struct{}

// ApplyPatchTool returns apply_patch.
func ApplyPatchTool() Freeform { return applyPatchTool{} }

func (applyPatchTool) Name() string                  { return "apply_patch" }
func (applyPatchTool) ReadOnly() bool                { return false }
func (applyPatchTool) Description() string           { return patch.ToolDescription }
func (applyPatchTool) Schema() map[string]any        { return nil }
func (applyPatchTool) Grammar() (syntax, def string) { return "lark", patch.Grammar }

// PatchInput returns the patch text of an apply_patch call: the custom
// tool's input as it came, or, from a caller that wraps it as arguments, a
// JSON string or an object with "input" (or "patch").
func PatchInput(args json.RawMessage) string {
	raw := strings.TrimSpace(string(args))
	var s string
	if strings.HasPrefix(raw, `"`) && json.Unmarshal(args, &s) == nil {
		return s
	}
	if strings.HasPrefix(raw, "{") {
		var obj struct {
			Input *string `json:"input"`
			Patch *string `json:"patch"`
		}
		if json.Unmarshal(args, &obj) == nil {
			switch {
			case obj.Input != nil:
				return *obj.Input
			case obj.Patch != nil:
				return *obj.Patch
			}
		}
	}
	return string(args)
}

// PlanPatch works out what an apply_patch call would do, without writing:
// the changes for the review (each with its diff) and the undo. When the
// patch cannot apply, the Result is the failure the model gets, and ok is
// false.
func PlanPatch(env *Env, input string) ([]patch.Change, Result, bool) {
	p, err := patch.Parse(input)
	if err != nil {
		return nil, patchFailed(err), false
	}
	changes, err := patch.Plan(filesOf(env), env.Root, p)
	if err != nil {
		return nil, patchFailed(err), false
	}
	return changes, Result{}, true
}

// CommitPatch writes planned changes: all of them, or none.
func CommitPatch(env *Env, changes []patch.Change) Result {
	began := time.Now()
	if err := patch.Commit(filesOf(env), changes); err != nil {
		return patchFailed(err)
	}
	return Result{Output: execShaped(0, time.Since(began), patch.Summary(changes))}
}

func (t applyPatchTool) Run(ctx context.Context, env *Env, args json.RawMessage) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	changes, res, ok := PlanPatch(env, PatchInput(args))
	if !ok {
		return res, nil
	}
	return CommitPatch(env, changes), nil
}

// PatchPaths lists the files an apply_patch call names (sources and move
// destinations, relative to the root), for the undo's snapshots; nil when
// the patch does not parse.
func PatchPaths(env *Env, input string) []string {
	p, err := patch.Parse(input)
	if err != nil {
		return nil
	}
	var out []string
	for _, op := range p.Ops {
		for _, name := range []string{op.Path, op.MovePath} {
			if name == "" {
				continue
			}
			if local, err := patch.Local(env.Root, name); err == nil {
				out = append(out, local)
			}
		}
	}
	return out
}

// execShaped is a result in the shape the models' own client gives a
// command's output, which is how it reports apply_patch too.
func execShaped(code int, took time.Duration, output string) string {
	return fmt.Sprintf("Exit code: %d\nWall time: %.1f seconds\nOutput:\n%s", code, took.Seconds(), output)
}

// patchFailed is the model's answer for a patch that did not apply.
func patchFailed(err error) Result {
	return Result{Output: "apply_patch verification failed: " + err.Error(), IsError: true}
}

// filesOf is where a patch reads and writes: the editor's buffers when it
// serves the files, else the disk.
func filesOf(env *Env) patch.Files {
	if env.Buffers != nil {
		return bufferFiles{env}
	}
	return envFiles{env}
}

// envFiles is patch.Files over the workspace, with the tools' confinement.
type envFiles struct{ env *Env }

func (f envFiles) ReadFile(name string) ([]byte, error) {
	st, err := ReadState(f.env, name, editMaxFileSize)
	switch {
	case errors.Is(err, ErrOutsideWorkspace):
		return nil, fmt.Errorf("%w: %w", patch.ErrOutside, err)
	case errors.Is(err, errTooLarge):
		return nil, fmt.Errorf("larger than %d MiB: it cannot be patched here", editMaxFileSize>>20)
	case err != nil:
		return nil, unwrapPathError(err)
	case !st.Exists:
		return nil, fs.ErrNotExist
	}
	return st.Content, nil
}

func (f envFiles) WriteFile(name string, data []byte) error {
	real, res, ok := f.env.resolve(name)
	if !ok {
		return errors.New(res.Output)
	}
	if _, res, ok := writeConfined(f.env, real, name, data); !ok {
		return errors.New(res.Output)
	}
	return nil
}

func (f envFiles) Remove(name string) error {
	real, res, ok := f.env.resolve(name)
	if !ok {
		return errors.New(res.Output)
	}
	rel, err := f.env.local(real)
	if err != nil {
		return err
	}
	r, err := f.env.openRoot()
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Remove(rel); err != nil {
		return unwrapPathError(f.env.escaped(real, err))
	}
	return nil
}

// describePatch is the one line of a permission prompt for a patch.
func describePatch(input string) string {
	p, err := patch.Parse(input)
	if err != nil {
		return "Apply a patch that does not parse"
	}
	var names []string
	for _, op := range p.Ops {
		switch op.Action {
		case patch.Move:
			names = append(names, op.Path+" -> "+op.MovePath)
		case patch.Delete:
			names = append(names, "delete "+op.Path)
		case patch.Add:
			names = append(names, "add "+op.Path)
		default:
			names = append(names, op.Path)
		}
	}
	what := "1 file"
	if len(names) != 1 {
		what = fmt.Sprintf("%d files", len(names))
	}
	return fmt.Sprintf("Patch %s: %s", what, strings.Join(names, ", "))
}
