package tools

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// read, write and edit over an editor's buffers (env.Buffers, source.go):
// the same checks, caps and answers as on disk, the text read from and
// written to the editor. The ledger is the disk's: a buffer has no version
// deckhand can check, so an edit rests on its exact match of oldString.

// missing reports whether a file the editor could not read is absent: not
// on disk, and not a file only the editor holds.
func (env *Env) missing(real string) bool {
	if _, ok := env.Overlay.unsavedFile(real); ok {
		return false
	}
	_, err := os.Lstat(real)
	return errors.Is(err, fs.ErrNotExist)
}

func readBuffer(ctx context.Context, env *Env, real string, p readParams) (Result, error) {
	text, err := env.Buffers.ReadText(real)
	if err != nil {
		if info, serr := os.Stat(real); serr == nil && info.IsDir() {
			return fail("%q is a directory, not a file: use list to see what it holds", p.Path), nil
		}
		if env.missing(real) {
			return fail("file %q not found", p.Path), nil
		}
		return fail("cannot read %q: the editor answered: %v", p.Path, err), nil
	}
	first := max(p.Offset, 1)
	limit := p.Limit
	if limit == 0 {
		limit = readDefaultLimit
	}
	page, err := readPage(ctx, strings.NewReader(text), first, limit)
	if err != nil {
		return Result{}, err // only a cancel fails a read of a string
	}
	if page.binary {
		return fail("binary file, not shown: %q does not look like text", p.Path), nil
	}
	if page.total > 0 && first > page.total {
		return fail("offset %d is past the end of %q: it has %d lines", first, p.Path, page.total), nil
	}
	return Result{Output: page.render(first)}, nil
}

func writeBuffer(env *Env, real string, p writeParams) Result {
	created := env.missing(real)
	if err := env.Buffers.WriteText(real, p.Content); err != nil {
		return fail("cannot write %q: the editor answered: %v", p.Path, err)
	}
	verb := "replaced"
	if created {
		verb = "created"
	}
	return Result{Output: fmt.Sprintf("wrote %d bytes to %s (%s, in the editor)", len(p.Content), env.rel(real), verb)}
}

func editBuffer(env *Env, real string, p editParams) Result {
	rel := env.rel(real)
	text, err := env.Buffers.ReadText(real)
	switch {
	case err != nil && env.missing(real) && p.OldString == "":
		if err := env.Buffers.WriteText(real, p.NewString); err != nil {
			return fail("cannot write %q: the editor answered: %v", p.Path, err)
		}
		return Result{Output: fmt.Sprintf("created %s (%d bytes) in the editor\n\n%s", rel, len(p.NewString),
			udiff.Unified("/dev/null", "b/"+rel, "", p.NewString))}
	case err != nil && env.missing(real):
		return fail("file %q not found: to create a file use write (or edit with an empty oldString)", p.Path)
	case err != nil:
		return fail("cannot edit %q: the editor answered: %v", p.Path, err)
	case p.OldString == "":
		return fail("oldString is empty, but %q already exists: give the text to replace, or use write to replace the whole file", p.Path)
	case len(text) > editMaxFileSize:
		return fail("%q is larger than %d MiB: edit changes smaller files only", p.Path, editMaxFileSize>>20)
	case looksBinary([]byte(text[:min(len(text), sniffSize)])):
		return fail("%q is a binary file; edit changes text files only", p.Path)
	}
	change, msg := replaceText(text, p.OldString, p.NewString, p.ReplaceAll, rel)
	if msg != "" {
		return fail("%s", msg)
	}
	if err := env.Buffers.WriteText(real, change.written); err != nil {
		return fail("cannot write %q: the editor answered: %v", p.Path, err)
	}
	noun := "occurrence"
	if change.count != 1 {
		noun = "occurrences"
	}
	diff := udiff.Unified("a/"+rel, "b/"+rel, change.before, change.after)
	if len(diff) > editMaxDiff {
		diff = fmt.Sprintf("(the diff is %d KiB, over %d KiB: not shown; read the file to check the result)", len(diff)>>10, editMaxDiff>>10)
	}
	return Result{Output: fmt.Sprintf("edited %s in the editor: replaced %d %s\n\n%s", rel, change.count, noun, diff)}
}

// currentBuffer is current (preview.go) over the editor's buffers: what a
// write or edit would change is worked out against the editor's text.
func (env *Env) currentBuffer(path string) (FileState, Result, bool) {
	real, res, ok := env.resolve(path)
	if !ok {
		return FileState{}, res, false
	}
	st := FileState{Path: env.rel(real)}
	if st.Path == "." {
		return FileState{}, fail("%q is not a regular file: not changed", path), false
	}
	text, err := env.Buffers.ReadText(real)
	switch {
	case err != nil && env.missing(real):
		return st, Result{}, true
	case err != nil:
		return FileState{}, fail("cannot read %q: the editor answered: %v", path, err), false
	case len(text) > editMaxFileSize:
		return FileState{}, fail("%q is larger than %d MiB: it cannot be changed here", path, editMaxFileSize>>20), false
	}
	st.Exists, st.Content = true, []byte(text)
	return st, Result{}, true
}
