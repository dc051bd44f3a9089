package tools

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// Review and undo. Before a write or edit runs, the user may be shown the
// change it would make (Propose, Diff); before and after it runs, the engine
// keeps what the file held (ReadState), so that a turn can be taken back
// (RestoreState). Everything goes through the same confinement as the tools.

// Proposal is what a write or edit call would do to one file.
type Proposal struct {
	Path    string // relative to the root, with forward slashes
	Existed bool
	Before  string // the file's content now ("" for a new file)
	After   string // its content after the call
	// TooLarge: the file is too large to be read for a diff (write
	// replaces it all the same); Before is empty.
	TooLarge bool
}

// Target returns the path a write or edit call names, as the model gave it;
// ok is false for other tools and for arguments that cannot be read.
func Target(name string, args json.RawMessage) (string, bool) {
	if name != "write" && name != "edit" {
		return "", false
	}
	var p struct {
		Path string `json:"path"`
	}
	if json.Unmarshal(args, &p) != nil || strings.TrimSpace(p.Path) == "" {
		return "", false
	}
	return p.Path, true
}

// Propose works out the change a write or edit call would make, without
// making it. When the call would fail, the Result is the failure the model
// would get, and ok is false.
func Propose(env *Env, name string, args json.RawMessage) (Proposal, Result, bool) {
	switch name {
	case "write":
		var p writeParams
		if res, ok := decodeArgs(args, &p); !ok {
			return Proposal{}, res, false
		}
		if strings.TrimSpace(p.Path) == "" {
			return Proposal{}, fail("invalid arguments: path must not be empty"), false
		}
		if _, err := ReadState(env, p.Path, editMaxFileSize); errors.Is(err, errTooLarge) {
			real, res, ok := env.resolve(p.Path)
			if !ok {
				return Proposal{}, res, false
			}
			return Proposal{Path: env.rel(real), Existed: true, After: p.Content, TooLarge: true}, Result{}, true
		}
		st, res, ok := env.current(p.Path)
		if !ok {
			return Proposal{}, res, false
		}
		return Proposal{Path: st.Path, Existed: st.Exists, Before: string(st.Content), After: p.Content}, Result{}, true
	case "edit":
		var p editParams
		if res, ok := decodeArgs(args, &p); !ok {
			return Proposal{}, res, false
		}
		if strings.TrimSpace(p.Path) == "" {
			return Proposal{}, fail("invalid arguments: path must not be empty"), false
		}
		if p.OldString == p.NewString {
			return Proposal{}, fail("oldString and newString are the same: there is nothing to change"), false
		}
		st, res, ok := env.current(p.Path)
		if !ok {
			return Proposal{}, res, false
		}
		switch {
		case !st.Exists && p.OldString == "":
			return Proposal{Path: st.Path, After: p.NewString}, Result{}, true
		case !st.Exists:
			return Proposal{}, fail("file %q not found: to create a file use write (or edit with an empty oldString)", p.Path), false
		case p.OldString == "":
			return Proposal{}, fail("oldString is empty, but %q already exists: give the text to replace, or use write to replace the whole file", p.Path), false
		case looksBinary(st.Content):
			return Proposal{}, fail("%q is a binary file; edit changes text files only", p.Path), false
		}
		change, msg := replaceText(string(st.Content), p.OldString, p.NewString, p.ReplaceAll, st.Path)
		if msg != "" {
			return Proposal{}, fail("%s", msg), false
		}
		return Proposal{Path: st.Path, Existed: true, Before: string(st.Content), After: change.written}, Result{}, true
	}
	return Proposal{}, fail("%s changes no file", name), false
}

// current reads the file a call names, for a proposal: a missing file is
// not an error, anything the tools would refuse is.
func (env *Env) current(path string) (FileState, Result, bool) {
	st, err := ReadState(env, path, editMaxFileSize)
	switch {
	case errors.Is(err, ErrOutsideWorkspace):
		return FileState{}, fail("%v", err), false
	case errors.Is(err, ErrPrivate):
		return FileState{}, privateError(path), false
	case errors.Is(err, errTooLarge):
		return FileState{}, fail("%q is larger than %d MiB: it cannot be changed here", path, editMaxFileSize>>20), false
	case errors.Is(err, errNotRegular):
		return FileState{}, fail("%q is not a regular file: not changed", path), false
	case err != nil:
		return FileState{}, fail("cannot read %q: %v", path, unwrapPathError(err)), false
	}
	return st, Result{}, true
}

// diffMaxInput bounds the content a diff is computed over: beyond it the
// diff only says how the size changes.
const diffMaxInput = 4 << 20

// Diff is the unified diff that turns before into after, for the file at
// path (relative, forward slashes). A file that did not exist is diffed
// against /dev/null, so every line is an addition. Files too large to diff
// get a one-line note instead of hunks; identical contents give "".
func Diff(path string, existed bool, before, after string) string {
	if existed && before == after {
		return ""
	}
	from := "a/" + path
	if !existed {
		from = "/dev/null"
	}
	to := "b/" + path
	if len(before)+len(after) > diffMaxInput {
		return fmt.Sprintf("--- %s\n+++ %s\n@@ the file is too large to show a diff: %d bytes become %d bytes @@\n", from, to, len(before), len(after))
	}
	if !existed {
		return additions(from, to, after)
	}
	return udiff.Unified(from, to, before, after)
}

// additions is the diff of a new file: one hunk of added lines.
func additions(from, to, content string) string {
	if content == "" {
		return fmt.Sprintf("--- %s\n+++ %s\n", from, to)
	}
	lines := strings.SplitAfter(content, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var b strings.Builder
	b.Grow(len(content) + 2*len(lines) + 64)
	fmt.Fprintf(&b, "--- %s\n+++ %s\n@@ -0,0 +1,%d @@\n", from, to, len(lines))
	for _, l := range lines {
		b.WriteByte('+')
		b.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			b.WriteString("\n\\ No newline at end of file\n")
		}
	}
	return b.String()
}

// FileState is what a file held at one moment.
type FileState struct {
	Path    string // relative to the root, with forward slashes
	Exists  bool
	Content []byte
	Sum     [sha256.Size]byte // of Content; zero when the file does not exist
	Mode    fs.FileMode
}

// ReadState reads the regular file at path (as the model gives paths) through
// the workspace's confinement, at most limit bytes. A missing file is a
// state (Exists false), not an error; a path outside the workspace is an
// error wrapping ErrOutsideWorkspace.
func ReadState(env *Env, path string, limit int) (FileState, error) {
	real, err := resolveIn(env.Root, path)
	if err != nil {
		return FileState{}, err
	}
	if env.Home.isPrivate(real) {
		return FileState{}, fmt.Errorf("%q: %w", path, ErrPrivate)
	}
	st := FileState{Path: env.rel(real)}
	if st.Path == "." {
		return FileState{}, fmt.Errorf("%q is the workspace root: %w", path, errNotRegular)
	}
	rel, err := env.local(real)
	if err != nil {
		return FileState{}, err
	}
	r, err := env.openRoot()
	if err != nil {
		return FileState{}, err
	}
	defer r.Close()
	info, err := r.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return st, nil
	case err != nil:
		return FileState{}, env.escaped(real, err)
	case !info.Mode().IsRegular():
		return FileState{}, fmt.Errorf("%s: %w", st.Path, errNotRegular)
	}
	f, err := r.OpenFile(rel, os.O_RDONLY, 0)
	if err != nil {
		return FileState{}, env.escaped(real, err)
	}
	defer f.Close()
	var buf []byte
	data, err := readCapped(f, int(info.Size()), limit, &buf)
	if err != nil {
		return FileState{}, err
	}
	st.Exists, st.Content, st.Sum, st.Mode = true, data, sha256.Sum256(data), info.Mode().Perm()
	return st, nil
}

// ErrPrivate reports a path in deckhand's own data folder, which no tool,
// preview, attachment or undo reads or writes.
var ErrPrivate = errors.New("it is in deckhand's own data folder (its login and sessions), which deckhand never reads or writes for a session")

// ErrTooLarge reports a file over the size asked of ReadState.
var ErrTooLarge = errTooLarge

// RestoreState puts st back: the file gets its content (and mode) again, or
// is removed when it did not exist. Confinement is as for write.
func RestoreState(env *Env, st FileState) error {
	real, err := resolveIn(env.Root, st.Path)
	if err != nil {
		return err
	}
	if env.Home.isPrivate(real) {
		return fmt.Errorf("%q: %w", st.Path, ErrPrivate)
	}
	if !st.Exists {
		rel, err := env.local(real)
		if err != nil {
			return err
		}
		r, err := env.openRoot()
		if err != nil {
			return err
		}
		defer r.Close()
		if err := r.Remove(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return env.escaped(real, err)
		}
		return nil
	}
	if _, res, ok := writeConfined(env, real, st.Path, st.Content); !ok {
		return errors.New(res.Output)
	}
	if st.Mode != 0 {
		if rel, err := env.local(real); err == nil {
			if r, err := env.openRoot(); err == nil {
				_ = r.Chmod(rel, st.Mode)
				r.Close()
			}
		}
	}
	return nil
}
