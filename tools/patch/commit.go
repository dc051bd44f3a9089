package patch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Commit writes the changes Plan worked out, in order. When a write fails,
// the changes already written are taken back (each file gets its Before
// again, or is removed when it was new), so that the patch applies whole or
// not at all; the error says what failed, and what could not be taken back.
func Commit(files Files, changes []Change) error {
	for i, c := range changes {
		if err := commitOne(files, c); err != nil {
			failed := fmt.Errorf("%s %s: %w", c.Action, c.Path, err)
			var left []string
			for j := i; j >= 0; j-- {
				// The failed change may be half done (a move written but
				// its source not removed): revert it too.
				if rerr := Revert(files, changes[j]); rerr != nil {
					left = append(left, fmt.Sprintf("%s (%v)", changes[j].Path, rerr))
				}
			}
			if len(left) > 0 {
				return fmt.Errorf("%w; could not put back: %s", failed, strings.Join(left, ", "))
			}
			return failed
		}
	}
	return nil
}

func commitOne(files Files, c Change) error {
	switch c.Action {
	case Add, Update:
		return files.WriteFile(c.Path, []byte(c.After))
	case Delete:
		return files.Remove(c.Path)
	case Move:
		if err := files.WriteFile(c.MovePath, []byte(c.After)); err != nil {
			return err
		}
		return files.Remove(c.Path)
	}
	return fmt.Errorf("unknown action %q", c.Action)
}

// Revert takes one change back: Path gets its Before again (or is removed
// when it did not exist), and a move's destination is removed.
func Revert(files Files, c Change) error {
	var errs []error
	if c.Action == Move {
		if err := files.Remove(c.MovePath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if c.Existed {
		errs = append(errs, files.WriteFile(c.Path, []byte(c.Before)))
	} else if err := files.Remove(c.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Summary is the text the model gets after a patch applied, in the shape the
// format's own tool prints: added files, then modified (a moved file under
// its new name), then deleted, one per line.
func Summary(changes []Change) string {
	var b strings.Builder
	b.WriteString("Success. Updated the following files:\n")
	for _, kind := range []string{"A", "M", "D"} {
		for _, c := range changes {
			switch {
			case kind == "A" && c.Action == Add:
				fmt.Fprintf(&b, "A %s\n", c.Path)
			case kind == "M" && c.Action == Update:
				fmt.Fprintf(&b, "M %s\n", c.Path)
			case kind == "M" && c.Action == Move:
				fmt.Fprintf(&b, "M %s\n", c.MovePath)
			case kind == "D" && c.Action == Delete:
				fmt.Fprintf(&b, "D %s\n", c.Path)
			}
		}
	}
	return b.String()
}

// Paths lists every path the changes touch, sources and destinations, in
// order and once each.
func Paths(changes []Change) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.Path)
		if c.MovePath != "" {
			out = append(out, c.MovePath)
		}
	}
	return out
}

// DefaultMaxFileSize bounds the files Dir reads.
const DefaultMaxFileSize = 16 << 20

// Dir is Files on a directory of the disk. Every call goes through an
// os.Root on it, which refuses a name that leads out of it, by ".." or by a
// symbolic link, at the moment of the call.
type Dir struct {
	Root string
	// MaxFileSize bounds the files read (DefaultMaxFileSize when zero).
	MaxFileSize int64
}

func (d Dir) open() (*os.Root, error) {
	r, err := os.OpenRoot(d.Root)
	if err != nil {
		return nil, fmt.Errorf("open the workspace: %w", err)
	}
	return r, nil
}

// rootErr maps os.Root's refusal of an escaping name to ErrOutside.
func rootErr(err error) error {
	if err != nil && strings.Contains(err.Error(), "escapes") {
		return fmt.Errorf("%w: %w", ErrOutside, err)
	}
	return err
}

func (d Dir) ReadFile(name string) ([]byte, error) {
	r, err := d.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info, err := r.Lstat(name)
	if err != nil {
		return nil, rootErr(err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	limit := d.MaxFileSize
	if limit == 0 {
		limit = DefaultMaxFileSize
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, limit>>20)
	}
	data, err := r.ReadFile(name)
	return data, rootErr(err)
}

func (d Dir) WriteFile(name string, data []byte) error {
	r, err := d.open()
	if err != nil {
		return err
	}
	defer r.Close()
	if dir := path.Dir(name); dir != "." {
		if err := r.MkdirAll(dir, 0o755); err != nil {
			return rootErr(err)
		}
	}
	perm := fs.FileMode(0o644)
	if info, err := r.Lstat(name); err == nil && info.Mode().IsRegular() {
		perm = info.Mode().Perm()
	}
	return rootErr(r.WriteFile(name, data, perm))
}

func (d Dir) Remove(name string) error {
	r, err := d.open()
	if err != nil {
		return err
	}
	defer r.Close()
	return rootErr(r.Remove(name))
}

// Apply parses text, plans it against files and commits it: the whole
// patch, or nothing. The changes are returned for the review and the undo.
func Apply(files Files, root, text string) ([]Change, error) {
	p, err := Parse(text)
	if err != nil {
		return nil, err
	}
	changes, err := Plan(files, root, p)
	if err != nil {
		return nil, err
	}
	if err := Commit(files, changes); err != nil {
		return nil, err
	}
	return changes, nil
}
