package tools

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrOutsideWorkspace is the error of a path that leads out of the workspace
// root, through `..`, an absolute path or a symbolic link.
var ErrOutsideWorkspace = errors.New("outside the workspace")

// errTooManyLinks reports a chain of symbolic links too long to follow.
var errTooManyLinks = errors.New("too many levels of symbolic links")

// maxLinkHops bounds the symbolic links followed for one path, as the kernel
// does (ELOOP).
const maxLinkHops = 40

// outsideError names the path and the root in the text the model sees.
type outsideError struct {
	path string
	root string
}

func (e *outsideError) Error() string {
	return fmt.Sprintf("path %q is outside the workspace %s", e.path, e.root)
}

func (e *outsideError) Unwrap() error { return ErrOutsideWorkspace }

// Resolve returns the real absolute path that path names inside root, or an
// error wrapping ErrOutsideWorkspace. A relative path is taken from root; an
// absolute one must lead inside it. Symbolic links are followed one
// component at a time, `..` is applied to the real path reached so far (so
// `link/..` is the parent of the link's target, as the kernel sees it), and
// the walk is refused as soon as it steps out of root once it is inside (an
// absolute link target starts again from /, and only has to end inside). A
// missing tail (a file about to be created) is appended as it is written.
// Every name is checked, even after a missing one: `..` can step back from a
// missing directory into real ones, where a name may be a link again.
func Resolve(root, path string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("workspace root: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("workspace root: %w", err)
	}
	return resolveIn(real, path)
}

// resolveIn is Resolve for a root that is already absolute and real.
func resolveIn(root, path string) (string, error) {
	cur := root
	if filepath.IsAbs(path) {
		cur = string(filepath.Separator)
	}
	entered := within(root, cur)
	pending := splitPath(path)
	hops := 0
	for len(pending) > 0 {
		part := pending[0]
		pending = pending[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
		default:
			next := filepath.Join(cur, part)
			info, err := os.Lstat(next)
			switch {
			case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
				// Missing: appended as written, and what follows is
				// checked all the same.
			case err != nil:
				return "", fmt.Errorf("resolve %q: %w", path, err)
			case info.Mode()&fs.ModeSymlink != 0:
				hops++
				if hops > maxLinkHops {
					return "", fmt.Errorf("resolve %q: %w", path, errTooManyLinks)
				}
				target, err := os.Readlink(next)
				if err != nil {
					return "", fmt.Errorf("resolve %q: %w", path, err)
				}
				if filepath.IsAbs(target) {
					// An absolute target walks down from / again, through
					// the root's ancestors: only its end must be inside.
					cur = string(filepath.Separator)
					entered = false
				}
				pending = append(splitPath(target), pending...)
				continue
			}
			cur = next
		}
		if within(root, cur) {
			entered = true
		} else if entered {
			return "", &outsideError{path: path, root: root}
		}
	}
	if !within(root, cur) {
		return "", &outsideError{path: path, root: root}
	}
	return cur, nil
}

// within reports whether path is root or lies below it. Both are clean.
func within(root, path string) bool {
	if path == root {
		return true
	}
	if root == string(filepath.Separator) {
		return strings.HasPrefix(path, root)
	}
	return strings.HasPrefix(path, root+string(filepath.Separator))
}

func splitPath(p string) []string {
	return strings.Split(filepath.ToSlash(p), "/")
}

// resolve confines a path the model gave, as a tool error when it leaves the
// workspace.
func (env *Env) resolve(path string) (string, Result, bool) {
	real, err := resolveIn(env.Root, path)
	if err != nil {
		var outside *outsideError
		if errors.As(err, &outside) {
			return "", fail("%v", err), false
		}
		return "", fail("cannot resolve %q: %v", path, unwrapPathError(err)), false
	}
	if env.Home.isPrivate(real) {
		return "", privateError(path), false
	}
	return real, Result{}, true
}

// rel names a real path inside the root the way the model should write it:
// relative to the root, with forward slashes ("." for the root itself).
func (env *Env) rel(real string) string {
	r, err := filepath.Rel(env.Root, real)
	if err != nil {
		return real
	}
	return filepath.ToSlash(r)
}

// where names a directory in a sentence.
func (env *Env) where(real string) string {
	if real == env.Root {
		return "the workspace root"
	}
	return env.rel(real)
}

// unwrapPathError drops the Op and Path of a *fs.PathError, which would
// repeat the real path of the file back to the model.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
