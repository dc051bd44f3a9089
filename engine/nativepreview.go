package engine

import (
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
// (cut past previewMaxDiff in all) and whole before and after (a move
// shows at its destination, a deletion as the file emptied); when the
// patch cannot apply, ok is false and msg is what the model gets instead
// of a question to the user.
func patchPreview(env *tools.Env, input string) (files []PreviewFile, whole []FileChange, msg string, ok bool) {
	changes, res, ok := tools.PlanPatch(env, input)
	if !ok {
		return nil, nil, res.Output, false
	}
	budget := previewMaxDiff
	for _, c := range changes {
		diff := c.Diff
		if len(diff) > budget {
			diff = fmt.Sprintf("%s\n… (the diff is cut here: %d more bytes are not shown)\n", cut(diff, budget), len(diff)-budget)
		}
		budget = max(0, budget-len(diff))
		files = append(files, PreviewFile{Path: c.Path, Action: string(c.Action), MovePath: c.MovePath, Diff: diff})
		path := c.Path
		if c.MovePath != "" {
			path = c.MovePath
		}
		whole = append(whole, FileChange{Path: filepath.Join(env.Root, filepath.FromSlash(path)),
			OldText: c.Before, NewText: c.After, Created: !c.Existed})
	}
	return files, whole, "", true
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
