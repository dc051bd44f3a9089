package patch

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// Files is the workspace a patch reads and writes. Names are clean,
// slash-separated and relative to the workspace root; an implementation
// keeps every call inside the root (a symbolic link to the outside is
// refused, not followed).
type Files interface {
	// ReadFile returns the content of the regular file name, or an error
	// wrapping fs.ErrNotExist when there is none.
	ReadFile(name string) ([]byte, error)
	// WriteFile creates or replaces the file name, and the directories it
	// needs.
	WriteFile(name string, data []byte) error
	// Remove deletes the file name.
	Remove(name string) error
}

// Change is what a patch does to one file, worked out before anything is
// written: the review shows Diff, Commit writes After, and an undo puts
// Before back.
type Change struct {
	Action Action
	// Path is the file, clean and relative to the workspace root.
	Path string
	// MovePath is where a Move puts the file.
	MovePath string
	// Existed: Path was a file before (false only for an Add of a new file).
	Existed bool
	// Before is Path's content before, After the content written (to
	// MovePath for a Move; empty for a Delete).
	Before, After string
	// Diff is the unified diff of the change.
	Diff string
}

// Error is a patch that cannot be applied as it is. Its text tells the model
// what to fix; nothing was changed.
type Error struct {
	Msg string
}

func (e *Error) Error() string { return e.Msg }

// ErrOutside marks a path that leads out of the workspace.
var ErrOutside = errors.New("outside the workspace")

// Plan works out every change of p against files, without writing. root is
// the workspace's absolute path, against which absolute paths in the patch
// are taken. Any failure (a path outside the workspace or named twice, a
// missing file, a hunk that does not match) fails the whole patch with an
// *Error.
func Plan(files Files, root string, p *Patch) ([]Change, error) {
	seen := map[string]bool{}
	claim := func(name string) error {
		if seen[name] {
			return &Error{Msg: fmt.Sprintf("%s is named twice in the patch: change each file in one section", name)}
		}
		seen[name] = true
		return nil
	}
	changes := make([]Change, 0, len(p.Ops))
	for _, op := range p.Ops {
		name, err := Local(root, op.Path)
		if err != nil {
			return nil, err
		}
		if err := claim(name); err != nil {
			return nil, err
		}
		c := Change{Action: op.Action, Path: name}
		before, existed, err := read(files, name)
		if err != nil {
			return nil, err
		}
		c.Before, c.Existed = before, existed
		switch op.Action {
		case Add:
			c.After = op.Content
			c.Diff = diff(name, name, existed, true, before, c.After)
		case Delete:
			if !existed {
				return nil, &Error{Msg: fmt.Sprintf("cannot delete %s: the file does not exist", name)}
			}
			c.Diff = diff(name, name, true, false, before, "")
		case Update, Move:
			if !existed {
				return nil, &Error{Msg: fmt.Sprintf("cannot update %s: the file does not exist (to create it, use *** Add File)", name)}
			}
			after, err := applyHunks(name, before, op.Hunks)
			if err != nil {
				return nil, err
			}
			c.After = after
			to := name
			if op.Action == Move {
				if to, err = Local(root, op.MovePath); err != nil {
					return nil, err
				}
				if err := claim(to); err != nil {
					return nil, err
				}
				if _, there, err := read(files, to); err != nil {
					return nil, err
				} else if there {
					return nil, &Error{Msg: fmt.Sprintf("cannot move %s to %s: %s already exists", name, to, to)}
				}
				c.MovePath = to
			}
			c.Diff = diff(name, to, true, true, before, after)
		}
		changes = append(changes, c)
	}
	return changes, nil
}

// Local returns the workspace-relative, slash-separated form of a path from
// a patch, or an *Error wrapping ErrOutside when it leads out of root
// (through "..", or absolute elsewhere). It is lexical: symbolic links are
// Files' concern.
func Local(root, name string) (string, error) {
	p := filepath.FromSlash(name)
	if filepath.IsAbs(p) {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return "", outside(name)
		}
		p = rel
	}
	p = filepath.Clean(p)
	if !filepath.IsLocal(p) {
		return "", outside(name)
	}
	if p == "." {
		return "", &Error{Msg: fmt.Sprintf("path %q names the workspace root, not a file", name)}
	}
	return path.Clean(filepath.ToSlash(p)), nil
}

type outsideError struct{ name string }

func (e *outsideError) Error() string {
	return fmt.Sprintf("path %q is outside the workspace: patch only files inside it, with paths relative to its root", e.name)
}
func (e *outsideError) Unwrap() error { return ErrOutside }

func outside(name string) error { return &outsideError{name: name} }

// read returns a file's content, and whether it exists.
func read(files Files, name string) (string, bool, error) {
	data, err := files.ReadFile(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", false, nil
	case errors.Is(err, ErrOutside):
		return "", false, outside(name)
	case err != nil:
		return "", false, &Error{Msg: fmt.Sprintf("cannot read %s: %v", name, err)}
	}
	return string(data), true, nil
}

// diff is the unified diff of one change; a side that does not exist is
// /dev/null.
func diff(from, to string, fromExists, toExists bool, before, after string) string {
	a, b := "a/"+from, "b/"+to
	if !fromExists {
		a = "/dev/null"
	}
	if !toExists {
		b = "/dev/null"
	}
	if before == after {
		if from == to {
			return ""
		}
		return fmt.Sprintf("--- %s\n+++ %s\n", a, b)
	}
	return udiff.Unified(a, b, before, after)
}

// applyHunks returns content with hunks applied in order, each one looked
// for after the previous. CRLF line ends, and a missing newline at the end,
// are kept as the file had them.
func applyHunks(name, content string, hunks []Hunk) (string, error) {
	crlf := usesCRLF(content)
	text := content
	if crlf {
		text = strings.ReplaceAll(text, "\r\n", "\n")
	}
	noFinalNewline := text != "" && !strings.HasSuffix(text, "\n")
	lines := strings.Split(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	type replacement struct {
		at, n int
		with  []string
	}
	var reps []replacement
	next := 0
	for i, h := range hunks {
		if h.Anchor != "" {
			at := seek(lines, []string{h.Anchor}, next, false)
			if at < 0 {
				return "", mismatch(name, lines, i, len(hunks), h, []string{h.Anchor}, next, true)
			}
			next = at + 1
		}
		if len(h.Old) == 0 {
			at := len(lines)
			if h.Anchor != "" && !h.AtEOF {
				at = next
			}
			reps = append(reps, replacement{at: at, with: h.New})
			continue
		}
		old, repl := h.Old, h.New
		at := seek(lines, old, next, h.AtEOF)
		if at < 0 && old[len(old)-1] == "" {
			// A final empty line often stands for the file's last newline.
			old = old[:len(old)-1]
			if len(repl) > 0 && repl[len(repl)-1] == "" {
				repl = repl[:len(repl)-1]
			}
			at = seek(lines, old, next, h.AtEOF)
		}
		if at < 0 {
			return "", mismatch(name, lines, i, len(hunks), h, h.Old, next, false)
		}
		reps = append(reps, replacement{at: at, n: len(old), with: keepContext(lines[at:at+len(old)], repl, h.context)})
		next = at + len(old)
	}
	slices.SortStableFunc(reps, func(a, b replacement) int { return a.at - b.at })
	for i := len(reps) - 1; i >= 0; i-- {
		r := reps[i]
		lines = slices.Replace(lines, r.at, r.at+r.n, r.with...)
	}
	out := strings.Join(lines, "\n")
	if len(lines) > 0 && !noFinalNewline {
		out += "\n"
	}
	if crlf {
		out = strings.ReplaceAll(out, "\n", "\r\n")
	}
	return out, nil
}

// keepContext returns repl with each context line taken from found, the
// file's lines the hunk matched, so that a line matched loosely (other
// whitespace, other quotes) is kept as the file has it.
func keepContext(found, repl []string, context []int) []string {
	out := slices.Clone(repl)
	for j := range out {
		if j < len(context) && context[j] >= 0 && context[j] < len(found) {
			out[j] = found[context[j]]
		}
	}
	return out
}

// usesCRLF reports whether every line end of content is CRLF.
func usesCRLF(content string) bool {
	n := strings.Count(content, "\n")
	return n > 0 && strings.Count(content, "\r\n") == n
}

// mismatch explains a hunk that was not found, with the file's lines nearest
// to what the hunk expected, so that the model can send it again right.
func mismatch(name string, lines []string, i, count int, h Hunk, want []string, from int, anchor bool) error {
	var b strings.Builder
	which := fmt.Sprintf("hunk %d of %d (patch line %d)", i+1, count, h.Line)
	if anchor {
		fmt.Fprintf(&b, "Failed to find the @@ context line of %s in %s:\n  %s\n", which, name, h.Anchor)
	} else {
		fmt.Fprintf(&b, "Failed to find the expected lines of %s in %s:\n", which, name)
		for _, l := range want {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	if at := nearest(lines, want, from); at >= 0 {
		lo := max(0, at-2)
		hi := min(len(lines), at+len(want)+2)
		hi = min(hi, lo+nearestMaxLines+4)
		fmt.Fprintf(&b, "The nearest lines in %s (%d-%d):\n", name, lo+1, hi)
		for k := lo; k < hi; k++ {
			fmt.Fprintf(&b, "%6d  %s\n", k+1, lines[k])
		}
	} else {
		fmt.Fprintf(&b, "No line of %s resembles them.\n", name)
	}
	b.WriteString("Nothing was changed. Read the file again, and send the patch with context and removed lines exactly as the file has them.")
	return &Error{Msg: b.String()}
}
