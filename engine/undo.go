package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/deckhand-dev/deckhand/tools"
)

// undoMaxFile bounds the content kept of one file for undo; a larger file
// is changed as usual but cannot be taken back.
const undoMaxFile = 8 << 20

// undoMaxSession bounds the content a session keeps for undo; past it the
// oldest turns' contents are let go.
const undoMaxSession = 64 << 20

// UndoFile is what one turn did to one file: its state before the turn's
// first change to it, and the content the turn's last change left.
type UndoFile struct {
	Path string `json:"path"` // relative to the workspace root
	// Before is what the file held before the turn; BeforeExists false
	// means the turn created it.
	BeforeExists bool     `json:"beforeExists"`
	Before       []byte   `json:"before,omitempty"`
	BeforeMode   uint32   `json:"beforeMode,omitempty"`
	TooLarge     bool     `json:"tooLarge,omitempty"` // Before was not kept
	Expired      bool     `json:"expired,omitempty"`  // Before was let go: the session kept too much
	AfterExists  bool     `json:"afterExists"`
	AfterSum     [32]byte `json:"afterSum"`
}

// UndoTurn is what one turn changed in the workspace through write and
// edit, and whether it ran bash (whose changes are not known).
type UndoTurn struct {
	TurnID  string      `json:"turnId"`
	Files   []*UndoFile `json:"files,omitempty"`
	RanBash bool        `json:"ranBash,omitempty"`
	Undone  bool        `json:"undone,omitempty"`
}

// undoLog is a session's record of its turns' changes, oldest first.
type undoLog struct {
	mu      sync.Mutex
	turns   []*UndoTurn
	written map[string]bool // turn and path entries already in the session file
}

// turnLocked returns the record of turnID, making it if asked. The caller
// holds l.mu.
func (l *undoLog) turnLocked(turnID string, create bool) *UndoTurn {
	for i := len(l.turns) - 1; i >= 0; i-- {
		if l.turns[i].TurnID == turnID {
			return l.turns[i]
		}
	}
	if !create {
		return nil
	}
	tc := &UndoTurn{TurnID: turnID}
	l.turns = append(l.turns, tc)
	return tc
}

func (l *undoLog) ranBash(turnID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.turnLocked(turnID, true).RanBash = true
}

// record notes that a call of turnID changed a file from before to after,
// and reports whether the content changed at all.
func (l *undoLog) record(turnID string, before tools.FileState, beforeErr error, after tools.FileState) bool {
	if before.Exists == after.Exists && before.Sum == after.Sum && beforeErr == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tc := l.turnLocked(turnID, true)
	for _, f := range tc.Files {
		if f.Path == after.Path {
			f.AfterExists, f.AfterSum = after.Exists, after.Sum
			return true
		}
	}
	fc := &UndoFile{Path: after.Path, AfterExists: after.Exists, AfterSum: after.Sum}
	switch {
	case beforeErr != nil:
		fc.TooLarge = true
		fc.BeforeExists = true
	default:
		fc.BeforeExists, fc.Before, fc.BeforeMode = before.Exists, before.Content, uint32(before.Mode)
	}
	tc.Files = append(tc.Files, fc)
	l.trimLocked()
	return true
}

// trimLocked lets go of the oldest turns' contents while the session keeps
// more than undoMaxSession. The caller holds l.mu.
func (l *undoLog) trimLocked() {
	total := 0
	for _, tc := range l.turns {
		for _, f := range tc.Files {
			total += len(f.Before)
		}
	}
	for _, tc := range l.turns {
		if total <= undoMaxSession {
			return
		}
		for _, f := range tc.Files {
			if len(f.Before) > 0 {
				total -= len(f.Before)
				f.Before, f.Expired = nil, true
			}
		}
	}
}

// Changes returns a copy of the session's record of changes, for storage.
func (s *Session) Changes() []UndoTurn {
	s.undo.mu.Lock()
	defer s.undo.mu.Unlock()
	out := make([]UndoTurn, len(s.undo.turns))
	for i, tc := range s.undo.turns {
		out[i] = *tc
	}
	return out
}

// RestoreChanges puts back a record of changes read from storage.
func (s *Session) RestoreChanges(turns []UndoTurn) {
	s.undo.mu.Lock()
	defer s.undo.mu.Unlock()
	s.undo.turns = s.undo.turns[:0]
	for i := range turns {
		tc := turns[i]
		s.undo.turns = append(s.undo.turns, &tc)
	}
}

// watch prepares to record what call c changes: it keeps the state of the
// file a write or edit names, or of every file a patch names, notes a
// command run (bash, exec_command), and returns the function to call once
// the tool ran, which records the changes and lists the changed paths,
// with each change whole when the file is text (changeShown).
func (t *turn) watch(c Item, env *tools.Env) func() ([]string, []FileChange) {
	if c.Name == "bash" || c.Name == "exec_command" || c.Name == "write_stdin" {
		t.s.undo.ranBash(t.id)
		return func() ([]string, []FileChange) { return nil, nil }
	}
	var paths []string
	if c.Name == "apply_patch" {
		paths = tools.PatchPaths(env, tools.PatchInput(json.RawMessage(c.Arguments)))
	} else if path, ok := tools.Target(c.Name, json.RawMessage(c.Arguments)); ok {
		paths = []string{path}
	}
	watches := make([]func() (string, *FileChange, bool), 0, len(paths))
	for _, path := range paths {
		if w := t.watchFile(env, path); w != nil {
			watches = append(watches, w)
		}
	}
	return func() ([]string, []FileChange) {
		var changed []string
		var changes []FileChange
		for _, w := range watches {
			if path, ch, ok := w(); ok {
				changed = append(changed, path)
				if ch != nil {
					changes = append(changes, *ch)
				}
			}
		}
		return changed, changes
	}
}

// changeShown bounds each side of a change a tool result carries whole.
const changeShown = 4 << 20

// shownChange is a file's change, whole, for a face that draws its own
// diff; nil when either side is not text or is too large.
func shownChange(root string, before tools.FileState, after tools.FileState) *FileChange {
	for _, st := range []tools.FileState{before, after} {
		if len(st.Content) > changeShown || !utf8.Valid(st.Content) || bytes.IndexByte(st.Content, 0) >= 0 {
			return nil
		}
	}
	return &FileChange{Path: filepath.Join(root, filepath.FromSlash(after.Path)),
		OldText: string(before.Content), NewText: string(after.Content), Created: !before.Exists}
}

// watchFile snapshots one file a call may change; the function it returns
// records the file's change in the turn's undo record, and reports the
// file's path when it changed. nil: nothing can be written there.
func (t *turn) watchFile(env *tools.Env, path string) func() (string, *FileChange, bool) {
	before, berr := tools.ReadState(env, path, undoMaxFile)
	if berr != nil && !errors.Is(berr, tools.ErrTooLarge) {
		// Nothing can be written there either (outside, not a file).
		return nil
	}
	return func() (string, *FileChange, bool) {
		after, err := tools.ReadState(env, path, undoMaxFile)
		large := errors.Is(err, tools.ErrTooLarge)
		if large {
			after, err = tools.FileState{Path: after.Path, Exists: true}, nil
		}
		if err != nil {
			return "", nil, false
		}
		if after.Path == "" {
			after.Path = before.Path
		}
		if !t.s.undo.record(t.id, before, berr, after) {
			return "", nil, false
		}
		if berr != nil || large {
			return after.Path, nil, true
		}
		return after.Path, shownChange(env.Root, before, after), true
	}
}

// UndoResult is what Undo did.
type UndoResult struct {
	TurnID   string
	Restored []string
	Skipped  []UndoSkip
	RanBash  bool // the turn ran bash, whose changes are not undone
}

// UndoSkip is a file Undo left as it is, and why.
type UndoSkip struct{ Path, Reason string }

// Undo puts back the files that the write and edit calls of a turn changed
// (turnID "" is the last turn with changes not yet undone). A file changed
// since the turn, by anyone, is skipped with the reason unless force.
func (e *Engine) Undo(ctx context.Context, sessionID, turnID string, force bool) (UndoResult, error) {
	if sessionID == "" {
		return UndoResult{}, &InvalidParamsError{Field: "sessionId", Problem: "is required"}
	}
	s, _, err := e.session(sessionID) // a stored session is loaded
	if err != nil {
		return UndoResult{}, err
	}
	// An undo holds the session as a turn would: no turn changes files
	// under it.
	if _, err := s.begin(newID("undo"), func() {}); err != nil {
		return UndoResult{}, err
	}
	defer s.end()

	res, err := s.undoLocked(ctx, turnID, force)
	if err != nil {
		return res, err
	}
	if len(res.Restored) == 0 {
		return res, nil // nothing was put back: the turn stays undoable
	}
	if data, err := json.Marshal(undoEntry{Undone: true}); err == nil {
		s.appendClaimed(&Record{Type: RecordUndo, TurnID: res.TurnID, Data: data})
	}
	if len(res.Restored) > 0 {
		s.mu.Lock()
		s.undoNotes = append(s.undoNotes, undoNote(res))
		s.mu.Unlock()
	}
	return res, nil
}

// undoNote tells the model what an undo did to the files it changed.
func undoNote(res UndoResult) string {
	var b strings.Builder
	verb, pronoun := "was", "it"
	if len(res.Restored) > 1 {
		verb, pronoun = "were", "they"
	}
	fmt.Fprintf(&b, "(The user undid the file changes of an earlier turn: %s %s restored to what %s held before that turn.",
		strings.Join(res.Restored, ", "), verb, pronoun)
	for _, sk := range res.Skipped {
		fmt.Fprintf(&b, " %s was left as it is: %s.", sk.Path, strings.TrimSuffix(sk.Reason, "."))
	}
	if res.RanBash {
		b.WriteString(" What that turn's commands changed was not undone.")
	}
	b.WriteString(" Read a file again before changing it.)")
	return b.String()
}

// takeUndoNotes returns the undo notes not yet told to the model, and
// forgets them.
func (s *Session) takeUndoNotes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	notes := s.undoNotes
	s.undoNotes = nil
	return notes
}

// undoLocked does the work of Undo under the undo log's lock.
func (s *Session) undoLocked(ctx context.Context, turnID string, force bool) (UndoResult, error) {
	s.undo.mu.Lock()
	defer s.undo.mu.Unlock()
	root, sessionID := s.root, s.ID
	var tc *UndoTurn
	if turnID == "" {
		for i := len(s.undo.turns) - 1; i >= 0 && tc == nil; i-- {
			if c := s.undo.turns[i]; len(c.Files) > 0 && !c.Undone {
				tc = c
			}
		}
		if tc == nil {
			return UndoResult{}, fmt.Errorf("%w: no turn of session %s changed files that are not undone yet", ErrInvalidParams, sessionID)
		}
	} else {
		tc = s.undo.turnLocked(turnID, false)
		switch {
		case tc == nil || len(tc.Files) == 0:
			return UndoResult{}, fmt.Errorf("%w: turn %q of session %s changed no file with write or edit: there is nothing to undo", ErrInvalidParams, turnID, sessionID)
		case tc.Undone && !force:
			return UndoResult{}, fmt.Errorf("%w: turn %q was undone already (force undoes it again)", ErrInvalidParams, turnID)
		}
	}
	env := &tools.Env{Root: root, Ledger: s.ledger, Home: s.home}
	res := UndoResult{TurnID: tc.TurnID, RanBash: tc.RanBash, Restored: []string{}, Skipped: []UndoSkip{}}
	for _, f := range tc.Files {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if reason := restore(env, f, force); reason != "" {
			res.Skipped = append(res.Skipped, UndoSkip{Path: f.Path, Reason: reason})
			continue
		}
		res.Restored = append(res.Restored, f.Path)
	}
	// An undo that put nothing back leaves the turn to undo: marked done,
	// the next undo would take back the turn before it instead.
	if len(res.Restored) > 0 {
		tc.Undone = true
	}
	return res, nil
}

// restore puts one file back, or says why not.
func restore(env *tools.Env, f *UndoFile, force bool) string {
	if f.Expired {
		return fmt.Sprintf("what it held before the turn is no longer kept (a session keeps %d MiB for undo, the oldest turns' first)", undoMaxSession>>20)
	}
	if f.TooLarge {
		return fmt.Sprintf("it was larger than %d MiB before the turn, too large to keep for undo", undoMaxFile>>20)
	}
	cur, err := tools.ReadState(env, f.Path, undoMaxFile)
	switch {
	case errors.Is(err, tools.ErrTooLarge):
		cur = tools.FileState{Exists: true}
	case err != nil:
		return fmt.Sprintf("it cannot be read now: %v", err)
	}
	if !force && (cur.Exists != f.AfterExists || (cur.Exists && cur.Sum != f.AfterSum)) {
		if !cur.Exists {
			return "it was deleted after the turn; force restores it anyway"
		}
		return "it changed after the turn; force restores it anyway, losing that change"
	}
	st := tools.FileState{Path: f.Path, Exists: f.BeforeExists, Content: f.Before, Sum: sha256.Sum256(f.Before)}
	st.Mode = modeOf(f.BeforeMode)
	if err := tools.RestoreState(env, st); err != nil {
		return fmt.Sprintf("it could not be restored: %v", err)
	}
	return ""
}

func modeOf(m uint32) fs.FileMode { return fs.FileMode(m).Perm() }

// undoEntry is what a session file keeps of undo, one record per change:
// the first change of a file in a turn carries what it held before, later
// ones only what it holds after; Bash and Undone mark the turn.
type undoEntry struct {
	File   *UndoFile `json:"file,omitempty"`
	Bash   bool      `json:"bash,omitempty"`
	Undone bool      `json:"undone,omitempty"`
}

// entries returns what is not yet written of turnID's record for the files
// at paths (and its bash run, if any), and marks it written.
func (l *undoLog) entries(turnID string, paths []string) []undoEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	tc := l.turnLocked(turnID, false)
	if tc == nil {
		return nil
	}
	if l.written == nil {
		l.written = map[string]bool{}
	}
	var out []undoEntry
	if tc.RanBash && !l.written[turnID+"\x00bash"] {
		l.written[turnID+"\x00bash"] = true
		out = append(out, undoEntry{Bash: true})
	}
	for _, p := range paths {
		for _, f := range tc.Files {
			if f.Path != p {
				continue
			}
			c := *f
			key := turnID + "\x00" + p
			if l.written[key] {
				c.Before, c.BeforeMode = nil, 0 // written with the first change
			}
			l.written[key] = true
			out = append(out, undoEntry{File: &c})
		}
	}
	return out
}

// apply puts back one entry read from a session file.
func (l *undoLog) apply(turnID string, e undoEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	tc := l.turnLocked(turnID, true)
	tc.RanBash = tc.RanBash || e.Bash
	tc.Undone = tc.Undone || e.Undone
	if e.File == nil {
		return
	}
	for _, f := range tc.Files {
		if f.Path == e.File.Path {
			f.AfterExists, f.AfterSum = e.File.AfterExists, e.File.AfterSum
			return
		}
	}
	f := *e.File
	tc.Files = append(tc.Files, &f)
}
