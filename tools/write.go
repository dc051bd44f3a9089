package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

type writeParams struct {
	Path    string `json:"path" desc:"The file to write: relative to the workspace root, or absolute inside it. Missing parent directories are created."`
	Content string `json:"content" desc:"The complete new content of the file."`
}

type writeTool struct{}

func (writeTool) Name() string { return "write" }

func (writeTool) ReadOnly() bool { return false }

func (writeTool) Schema() map[string]any { return schemaOf(writeParams{}) }

func (writeTool) Description() string {
	return `Create a file, or replace the whole content of one, with the given content. Missing parent directories are created; the file is written atomically and an existing file keeps its permissions.
- To change part of an existing file prefer edit: it sends only the change and shows a diff.
- Before replacing a file you have not written yourself, read it, so that nothing in it is lost by accident.
- Write the content exactly as it should be on disk, with no line-number prefixes.`
}

func (t writeTool) Run(ctx context.Context, env *Env, args json.RawMessage) (Result, error) {
	var p writeParams
	if res, ok := decodeArgs(args, &p); !ok {
		return res, nil
	}
	if strings.TrimSpace(p.Path) == "" {
		return fail("invalid arguments: path must not be empty"), nil
	}
	real, res, ok := env.resolve(p.Path)
	if !ok {
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if info, err := os.Lstat(real); err == nil && !info.Mode().IsRegular() && !info.IsDir() && info.Mode()&fs.ModeSymlink == 0 {
		// A FIFO, socket or device is something a program uses; replacing
		// it with a file would break that program silently.
		return fail("%q is not a regular file (%s): not replaced; remove it first with bash if that is what you want", p.Path, kindOf(info.Mode())), nil
	}
	if env.Buffers != nil {
		return writeBuffer(env, real, p), nil
	}
	created, res, ok := writeConfined(env, real, p.Path, []byte(p.Content))
	if !ok {
		return res, nil
	}
	verb := "replaced"
	if created {
		verb = "created"
	}
	return Result{Output: fmt.Sprintf("wrote %d bytes to %s (%s)", len(p.Content), env.rel(real), verb)}, nil
}

// writeConfined writes data to real, a resolved path inside the root, making
// its parent directories, keeping the mode of a file it replaces, and
// recording the new version in the ledger. It reports whether the file was
// created. A link given as the path was followed by the resolution, so real
// is its target and the target's mode is kept. Every step goes through an
// os.Root on the workspace (see writeAtomic): a directory swapped for a link
// to the outside meanwhile makes the write fail, never land outside.
func writeConfined(env *Env, real, given string, data []byte) (bool, Result, bool) {
	mode := newFileMode
	created := true
	info, err := env.lstat(real)
	switch {
	case err == nil && info.IsDir():
		return false, fail("%q is a directory", given), false
	case err == nil && info.Mode()&fs.ModeSymlink != 0:
		// A link appeared since the path was resolved: where it leads is
		// unchecked, and its own mode (0777) is not the file's.
		return false, fail("%q changed while being written (it became a symbolic link); try again", given), false
	case err == nil:
		mode = info.Mode().Perm()
		created = false
	case errors.Is(err, ErrOutsideWorkspace):
		return false, env.writeFailed(given, err), false
	case !errors.Is(err, fs.ErrNotExist):
		return false, fail("cannot write %q: %v", given, unwrapPathError(err)), false
	}
	dir := filepath.Dir(real)
	mkErr := mkdirConfined(env.Root, dir)
	// The directories just made, or found, should still be the ones that
	// were resolved: a link that appeared on the way, even one leading
	// inside, would put the file elsewhere than the answer says.
	if again, err := resolveIn(env.Root, dir); err != nil || again != dir {
		return false, fail("%v", &outsideError{path: given, root: env.Root}), false
	}
	if mkErr != nil {
		return false, fail("cannot create the directories of %q: %v", given, unwrapPathError(mkErr)), false
	}
	if err := env.writeAtomic(real, data, mode); err != nil {
		return false, env.writeFailed(given, err), false
	}
	return created, Result{}, true
}

// mkdirConfined makes dir, a resolved path inside root, and its missing
// parents, one level at a time through an os.Root: a directory swapped for a
// link meanwhile can make it fail, never create anything outside the root.
func mkdirConfined(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return fmt.Errorf("directory below the root: %w", err)
	}
	if rel == "." {
		return nil
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("open the workspace root: %w", err)
	}
	defer r.Close()
	return r.MkdirAll(rel, 0o755)
}
