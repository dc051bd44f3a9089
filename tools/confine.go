package tools

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Reads are confined as writes are: a path is resolved and checked first,
// and then opened through an os.Root on the workspace, which refuses a name
// that leads out of it at the moment of each system call. A directory on
// the way swapped for a link to the outside after the check makes the read
// fail instead of returning outside content or names.

// openIn opens path, a real path inside root, through an os.Root on root.
// An empty root opens path directly (for files whose content never reaches
// the model, such as ignore files).
func openIn(root, path string, flag int) (*os.File, error) {
	if root == "" {
		return os.OpenFile(path, flag, 0)
	}
	if !within(root, path) {
		return nil, &fs.PathError{Op: "open", Path: path, Err: ErrOutsideWorkspace}
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.OpenFile(rel, flag, 0)
	if err != nil && strings.Contains(err.Error(), "escapes") {
		return nil, &fs.PathError{Op: "open", Path: path, Err: ErrOutsideWorkspace}
	}
	return f, err
}

// readDirIn is os.ReadDir of dir, a real path inside root, through an
// os.Root on root: entries sorted by name.
func readDirIn(root, dir string) ([]fs.DirEntry, error) {
	f, err := openIn(root, dir, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	if err != nil && errors.Is(err, fs.ErrNotExist) {
		return entries, err
	}
	return entries, err
}
