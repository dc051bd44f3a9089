package tools

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// editMaxFileSize bounds the file edit reads whole into memory.
const editMaxFileSize = 64 << 20

// editMaxDiff bounds the diff edit returns.
const editMaxDiff = 64 << 10

type editParams struct {
	Path       string `json:"path" desc:"The file to edit: relative to the workspace root, or absolute inside it."`
	OldString  string `json:"oldString" desc:"The exact text to replace, copied from the file with its whitespace and indentation (without read's line-number prefixes). It must occur exactly once unless replaceAll is set; include surrounding lines to make it unique."`
	NewString  string `json:"newString" desc:"The text to put in its place. It must differ from oldString."`
	ReplaceAll bool   `json:"replaceAll,omitempty" desc:"Replace every occurrence of oldString instead of requiring exactly one. Default false."`
}

type editTool struct{}

func (editTool) Name() string { return "edit" }

func (editTool) ReadOnly() bool { return false }

func (editTool) Schema() map[string]any { return schemaOf(editParams{}) }

func (editTool) Description() string {
	return `Change a file by replacing oldString with newString; the answer is a unified diff of the change.
- Read the file first: oldString must match what is really there, and edit refuses a file that changed on disk since you last read (or wrote) it; then read it again.
- oldString must match the file exactly, whitespace and indentation included, and must occur exactly once: add a few surrounding lines to make it unique, or set replaceAll to change every occurrence (say, to rename a variable). Leave out the line-number prefixes that read shows.
- When oldString does not match, the answer says why (indentation, whitespace, several matches and where); fix oldString and try again.
- Files with CRLF line endings can be edited with plain "\n" in oldString and newString; they keep their CRLF endings.
- With an empty oldString, edit creates a file that does not exist yet, with newString as its content; to replace a whole existing file use write.
- Prefer several small edits over one huge oldString.`
}

func (t editTool) Run(ctx context.Context, env *Env, args json.RawMessage) (Result, error) {
	var p editParams
	if res, ok := decodeArgs(args, &p); !ok {
		return res, nil
	}
	if strings.TrimSpace(p.Path) == "" {
		return fail("invalid arguments: path must not be empty"), nil
	}
	if p.OldString == p.NewString {
		return fail("oldString and newString are the same: there is nothing to change"), nil
	}
	real, res, ok := env.resolve(p.Path)
	if !ok {
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if env.Buffers != nil {
		return editBuffer(env, real, p), nil
	}
	rel := env.rel(real)
	info, err := os.Stat(real)
	switch {
	case errors.Is(err, fs.ErrNotExist) && p.OldString == "":
		if _, res, ok := writeConfined(env, real, p.Path, []byte(p.NewString)); !ok {
			return res, nil
		}
		return Result{Output: fmt.Sprintf("created %s (%d bytes)\n\n%s", rel, len(p.NewString),
			udiff.Unified("/dev/null", "b/"+rel, "", p.NewString))}, nil
	case errors.Is(err, fs.ErrNotExist):
		return fail("file %q not found: to create a file use write (or edit with an empty oldString)", p.Path), nil
	case err != nil:
		return fail("cannot edit %q: %v", p.Path, unwrapPathError(err)), nil
	case info.IsDir():
		return fail("%q is a directory, not a file", p.Path), nil
	case !info.Mode().IsRegular():
		return fail("%q is not a regular file (%s): not edited", p.Path, kindOf(info.Mode())), nil
	case p.OldString == "":
		return fail("oldString is empty, but %q already exists: give the text to replace, or use write to replace the whole file", p.Path), nil
	}
	// A file the model has never read can be edited: the exact match of
	// oldString shows it knows the text. One it has read must not have
	// changed since.
	seen, known := env.Ledger.lookup(real)
	data, _, err := readRegular(env.Root, real, editMaxFileSize)
	switch {
	case errors.Is(err, errTooLarge):
		return fail("%q is larger than %d MiB: edit changes smaller files only", p.Path, editMaxFileSize>>20), nil
	case err != nil:
		return fail("cannot edit %q: %v", p.Path, unwrapPathError(err)), nil
	}
	if known && !seen.sameContent(stampOf(info, sha256.Sum256(data))) {
		return fail("%q changed on disk since you last read it; read it again before editing it", p.Path), nil
	}
	if looksBinary(data) {
		return fail("%q is a binary file; edit changes text files only", p.Path), nil
	}
	change, msg := replaceText(string(data), p.OldString, p.NewString, p.ReplaceAll, rel)
	if msg != "" {
		return fail("%s", msg), nil
	}
	if err := env.writeAtomic(real, []byte(change.written), info.Mode().Perm()); err != nil {
		return env.writeFailed(p.Path, err), nil
	}
	noun := "occurrence"
	if change.count != 1 {
		noun = "occurrences"
	}
	diff := udiff.Unified("a/"+rel, "b/"+rel, change.before, change.after)
	if len(diff) > editMaxDiff {
		// The change is made; a diff this long would only crowd the
		// model's context and the request.
		diff = fmt.Sprintf("(the diff is %d KiB, over %d KiB: not shown; read the file to check the result)", len(diff)>>10, editMaxDiff>>10)
	}
	return Result{Output: fmt.Sprintf("edited %s: replaced %d %s\n\n%s", rel, change.count, noun, diff)}, nil
}

// textChange is the outcome of a replacement. before and after use "\n"
// line endings, for the diff; written is what goes to disk.
type textChange struct {
	before, after, written string
	count                  int
}

// replaceText replaces old with new in content, or explains in msg why it
// cannot. A file whose every line ends in "\r\n" is matched with "\n" endings
// and written back with "\r\n".
func replaceText(content, old, new string, all bool, name string) (textChange, string) {
	crlf := isCRLF(content)
	if crlf {
		content = strings.ReplaceAll(content, "\r\n", "\n")
		old = strings.ReplaceAll(old, "\r\n", "\n")
		new = strings.ReplaceAll(new, "\r\n", "\n")
		if old == new {
			return textChange{}, "oldString and newString differ only in line endings, and the file keeps its own: there is nothing to change"
		}
	}
	count := strings.Count(content, old)
	switch {
	case count == 0:
		return textChange{}, explainNoMatch(content, old, name)
	case count > 1 && !all:
		return textChange{}, fmt.Sprintf("oldString occurs %d times in %s (at %s): add surrounding lines to oldString to make it unique, or set replaceAll to change every occurrence",
			count, name, matchLines(content, old))
	}
	n, replaced := 1, 1
	if all {
		n, replaced = -1, count
	}
	if size := len(content) + replaced*(len(new)-len(old)); size > editMaxFileSize {
		return textChange{}, fmt.Sprintf("the edit would make %s %d MiB, over the %d MiB edit writes: replace fewer occurrences or a shorter newString",
			name, size>>20, editMaxFileSize>>20)
	}
	after := strings.Replace(content, old, new, n)
	written := after
	if crlf {
		written = strings.ReplaceAll(after, "\n", "\r\n")
	}
	return textChange{before: content, after: after, written: written, count: count}, ""
}

// isCRLF reports whether s has line breaks and all of them are "\r\n".
func isCRLF(s string) bool {
	n := strings.Count(s, "\n")
	return n > 0 && strings.Count(s, "\r\n") == n
}
