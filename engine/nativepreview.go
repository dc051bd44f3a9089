package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/deckhand-dev/deckhand/tools"
)

// What the user is shown before a Codex tool runs: every file of a patch
// with its action and diff, or the whole command of exec_command with where
// it runs and why the model wants it.

// PreviewFile is one file of an apply_patch preview.
type PreviewFile struct {
	Path     string
	Action   string // add, update, delete, move
	MovePath string // where a move puts the file
	Diff     string
}

// patchPreview works out the files a patch changes, each with its diff
// (cut past previewMaxDiff in all); when the patch cannot apply, ok is
// false and msg is what the model gets instead of a question to the user.
func patchPreview(env *tools.Env, input string) (files []PreviewFile, msg string, ok bool) {
	changes, res, ok := tools.PlanPatch(env, input)
	if !ok {
		return nil, res.Output, false
	}
	budget := previewMaxDiff
	for _, c := range changes {
		diff := c.Diff
		if len(diff) > budget {
			diff = fmt.Sprintf("%s\n… (the diff is cut here: %d more bytes are not shown)\n", cut(diff, budget), len(diff)-budget)
		}
		budget = max(0, budget-len(diff))
		files = append(files, PreviewFile{Path: c.Path, Action: string(c.Action), MovePath: c.MovePath, Diff: diff})
	}
	return files, "", true
}

// execPreview reads an exec_command call for its question: the whole
// command (never shortened), the directory it runs in, and the model's
// justification when it asks to leave the sandbox.
func execPreview(env *tools.Env, args string) (command, cwd, justification string) {
	req, ok := tools.ParseExecRequest(json.RawMessage(args))
	if !ok {
		return "", env.Root, ""
	}
	cwd = env.Root
	if req.Workdir != "" {
		if filepath.IsAbs(req.Workdir) {
			cwd = filepath.Clean(req.Workdir)
		} else {
			cwd = filepath.Join(env.Root, req.Workdir)
		}
	}
	return req.Command, cwd, req.Justification
}

// PreviewPatch works out what an apply_patch call (its arguments as
// TurnEvent carries them) would change, one FileChange per file, for a
// client that shows changes as diffs: a move shows at its destination, a
// deletion as the file emptied. ok is false when the patch cannot apply.
// The files are read through the client when it serves them (ctx bounds
// that).
func (e *Engine) PreviewPatch(ctx context.Context, sessionID string, args json.RawMessage) ([]FileChange, bool) {
	s, ok := e.sessionOf(sessionID)
	if !ok {
		return nil, false
	}
	// Read as the patch will: through the client when it serves the files.
	env := &tools.Env{Root: s.root, Ledger: s.ledger, Buffers: buffersOf(ctx, e.clientOf(s), s), Overlay: &s.overlay}
	changes, _, ok := tools.PlanPatch(env, tools.PatchInput(args))
	if !ok {
		return nil, false
	}
	out := make([]FileChange, 0, len(changes))
	for _, c := range changes {
		path := c.Path
		if c.MovePath != "" {
			path = c.MovePath
		}
		out = append(out, FileChange{
			Path:    filepath.Join(s.root, filepath.FromSlash(path)),
			OldText: c.Before, NewText: c.After, Created: !c.Existed,
		})
	}
	return out, true
}
