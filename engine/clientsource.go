package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/deckhand-dev/deckhand/tools"
)

// FileClient is a Client that serves the workspace's text files itself (ACP's
// fs/read_text_file and fs/write_text_file): the read, write and edit tools
// then read and write through it, so that edits land in the editor's buffers,
// unsaved ones included. Paths are absolute and inside the workspace.
type FileClient interface {
	Client
	// ServesFiles says whether the client serves files for this session.
	ServesFiles(sessionID string) bool
	ReadTextFile(ctx context.Context, sessionID, path string) (string, error)
	WriteTextFile(ctx context.Context, sessionID, path, content string) error
}

// TerminalClient is a Client that runs commands in terminals of its own
// (ACP's terminal/*): the bash tool then runs there.
type TerminalClient interface {
	Client
	// ServesTerminals says whether the client runs commands for this session.
	ServesTerminals(sessionID string) bool
	// RunCommand runs the command of call callID with bash -c in dir and
	// returns its output and a short exit status ("exit status 0", "killed
	// by SIGTERM"). When ctx reaches its deadline the command is killed and
	// its output so far returned with a status that says so.
	RunCommand(ctx context.Context, sessionID, callID, command, dir string) (output, status string, err error)
}

// FileChange is what a write or edit call will do to a file, for a client
// that shows the change as a diff.
type FileChange struct {
	Path    string // absolute
	OldText string
	NewText string
	Created bool // the file does not exist yet
}

// previewChange works out what a write or edit call would change, reading the
// file as the call will (through a FileClient when it serves the session's
// files). ok is false for other tools and for calls that would fail.
func (e *Engine) previewChange(ctx context.Context, s *Session, tool string, args json.RawMessage) (FileChange, bool) {
	var p struct {
		Path       string `json:"path"`
		Content    string `json:"content"`
		OldString  string `json:"oldString"`
		NewString  string `json:"newString"`
		ReplaceAll bool   `json:"replaceAll"`
	}
	if (tool != "write" && tool != "edit") || json.Unmarshal(args, &p) != nil || strings.TrimSpace(p.Path) == "" {
		return FileChange{}, false
	}
	real, err := tools.Resolve(s.root, p.Path)
	if err != nil {
		return FileChange{}, false
	}
	old, exists, err := e.readForPreview(ctx, s, real)
	if err != nil {
		return FileChange{}, false
	}
	ch := FileChange{Path: real, OldText: old, Created: !exists}
	switch {
	case tool == "write":
		ch.NewText = p.Content
	case !exists && p.OldString == "":
		ch.NewText = p.NewString
	case !exists:
		return FileChange{}, false
	default:
		after, _, msg := tools.ReplaceText(old, p.OldString, p.NewString, p.ReplaceAll, filepath.Base(real))
		if msg != "" {
			return FileChange{}, false
		}
		ch.NewText = after
	}
	return ch, true
}

// previewLimit bounds the files a preview reads.
const previewLimit = 4 << 20

func (e *Engine) readForPreview(ctx context.Context, s *Session, real string) (string, bool, error) {
	// deckhand's own home is never read, for a preview either.
	if msg := e.home.Forbidden(real, real); msg != "" {
		return "", false, errors.New(msg)
	}
	if fc, ok := e.clientOf(s).(FileClient); ok && fc.ServesFiles(s.ID) {
		text, err := fc.ReadTextFile(ctx, s.ID, real)
		if err != nil {
			// The client says no such file the way it likes; a file that is
			// not on disk either is taken to be new.
			if _, serr := os.Stat(real); errors.Is(serr, os.ErrNotExist) {
				return "", false, nil
			}
			return "", false, err
		}
		return text, true, nil
	}
	info, err := os.Stat(real)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", false, nil
	case err != nil:
		return "", false, err
	case !info.Mode().IsRegular() || info.Size() > previewLimit:
		return "", false, fmt.Errorf("%s: not a small regular file", real)
	}
	b, err := os.ReadFile(real)
	return string(b), true, err
}
