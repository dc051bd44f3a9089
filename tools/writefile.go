package tools

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// newFileMode is the mode of a file deckhand creates. The temporary file is
// created 0600 and set to this explicitly; reading the umask would mean
// changing it, process-wide, so it is not consulted.
const newFileMode fs.FileMode = 0o644

// tempTries bounds the names tried for a temporary file, as os.CreateTemp
// does.
const tempTries = 100

// Writing goes through an os.Root opened on the workspace. Resolving a path
// and then writing to it by name leaves a window in which a directory on the
// way can be swapped for a link to the outside; os.Root refuses any name that
// leads out of the root at the time of each system call, so such a swap makes
// the write fail rather than land outside. The resolved real path, relative
// to the root, is what is written: a link inside the workspace given as the
// path was followed by the resolution already.

// writeAtomic replaces the file at real, a resolved path inside the root
// whose directory exists, with data, and records the new version in the
// ledger. The content goes to a temporary file in the same directory, which
// is then renamed into place, so readers see the old content or the new one,
// never half of it. The directory is opened once, as an os.Root, and the
// temporary file is created, renamed and removed relative to it: the rename
// cannot move the file to another directory. A symbolic link at real is
// replaced, not followed. An error caused by a link to the outside that
// appeared on the way wraps ErrOutsideWorkspace.
func (env *Env) writeAtomic(real string, data []byte, perm fs.FileMode) error {
	if env.beforeWrite != nil {
		env.beforeWrite()
	}
	dir, err := env.openDir(filepath.Dir(real))
	if err != nil {
		return env.escaped(real, err)
	}
	defer dir.Close()
	info, err := writeIn(env.Home, dir, filepath.Base(real), data, perm)
	if err != nil {
		return env.escaped(real, err)
	}
	env.Ledger.record(real, stampOf(info, sha256.Sum256(data)))
	return nil
}

// writeIn writes data to name in dir through a temporary file and a rename,
// and returns what the file written looked like before the rename (which
// changes neither its size nor its modification time).
func writeIn(home *Home, dir *os.Root, name string, data []byte, perm fs.FileMode) (_ fs.FileInfo, err error) {
	tmp, f, err := createTemp(home, dir, name)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = dir.Remove(tmp)
		}
	}()
	info, err := fill(f, data, perm)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close temporary file: %w", cerr)
	}
	if err != nil {
		return nil, err
	}
	if err := dir.Rename(tmp, name); err != nil {
		return nil, fmt.Errorf("rename into place: %w", err)
	}
	return info, nil
}

// createTemp creates a new temporary file for name in dir, with a random
// name that no other file has (O_EXCL: not even a link, which is not
// followed).
func createTemp(home *Home, dir *os.Root, name string) (string, *os.File, error) {
	for range tempTries {
		pid, random := strconv.Itoa(os.Getpid()), strconv.FormatUint(rand.Uint64(), 36)
		tmp := "." + name + tempMarker + pid + "-" + random
		if tag := home.tempTag(name, pid, random); tag != "" {
			tmp += "-" + tag // the sweep's proof that deckhand made it
		}
		f, err := dir.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		switch {
		case err == nil:
			return tmp, f, nil
		case !errors.Is(err, fs.ErrExist):
			return "", nil, fmt.Errorf("create temporary file: %w", err)
		}
	}
	return "", nil, fmt.Errorf("create temporary file: %w", fs.ErrExist)
}

// fill writes data to the temporary file f, sets its mode and flushes it to
// the disk, and returns its FileInfo.
func fill(f *os.File, data []byte, perm fs.FileMode) (fs.FileInfo, error) {
	if _, err := f.Write(data); err != nil {
		return nil, fmt.Errorf("write temporary file: %w", err)
	}
	if err := f.Chmod(perm); err != nil {
		return nil, fmt.Errorf("set mode: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("sync temporary file: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat temporary file: %w", err)
	}
	return info, nil
}

// openRoot opens the workspace root as an os.Root.
func (env *Env) openRoot() (*os.Root, error) {
	r, err := os.OpenRoot(env.Root)
	if err != nil {
		return nil, fmt.Errorf("open the workspace root: %w", err)
	}
	return r, nil
}

// openDir opens dir, a resolved directory inside the root, as an os.Root of
// its own.
func (env *Env) openDir(dir string) (*os.Root, error) {
	rel, err := env.local(dir)
	if err != nil {
		return nil, err
	}
	r, err := env.openRoot()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.OpenRoot(rel)
}

// lstat describes real, a resolved path inside the root, without following
// a link there; a link to the outside on the way is refused.
func (env *Env) lstat(real string) (fs.FileInfo, error) {
	rel, err := env.local(real)
	if err != nil {
		return nil, err
	}
	r, err := env.openRoot()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info, err := r.Lstat(rel)
	if err != nil {
		return nil, env.escaped(real, err)
	}
	return info, nil
}

// local returns real, a resolved path inside the root, relative to the
// root, for an os.Root.
func (env *Env) local(real string) (string, error) {
	rel, err := filepath.Rel(env.Root, real)
	if err != nil || !filepath.IsLocal(rel) {
		return "", &outsideError{path: real, root: env.Root}
	}
	return rel, nil
}

// escaped explains err, the failure of an os.Root call on real: when real
// no longer resolves inside the root, a link to the outside appeared on its
// way, which os.Root refused to follow, and the error wraps
// ErrOutsideWorkspace. The resolution runs after the fact, for the message
// only: os.Root has already kept the call inside.
func (env *Env) escaped(real string, err error) error {
	if errors.Is(err, ErrOutsideWorkspace) {
		return err
	}
	if _, rerr := resolveIn(env.Root, real); errors.Is(rerr, ErrOutsideWorkspace) {
		return fmt.Errorf("%w: %w", ErrOutsideWorkspace, err)
	}
	return err
}

// writeFailed is the tool error for a write to the path the model gave that
// failed with err.
func (env *Env) writeFailed(given string, err error) Result {
	if errors.Is(err, ErrOutsideWorkspace) {
		return fail("%v", &outsideError{path: given, root: env.Root})
	}
	return fail("cannot write %q: %v", given, unwrapPathError(err))
}
