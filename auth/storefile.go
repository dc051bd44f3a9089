package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"
)

// maxLinks bounds how many symbolic links are followed to reach auth.json.
const maxLinks = 40

// read parses the whole file. A missing or blank file is empty. A file that
// is not a JSON object is moved aside and reported as a *CorruptError (also
// noted for TakeCorrupt); the openai entry itself is not judged here.
func (s *Store) read() (map[string]json.RawMessage, error) {
	for attempt := 0; ; attempt++ {
		data, err := readRegular(s.Path())
		if errors.Is(err, fs.ErrNotExist) {
			return map[string]json.RawMessage{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", s.Path(), err)
		}
		entries, perr := parseFile(data)
		if perr == nil {
			return entries, nil
		}
		backup, moved, err := s.moveAside(data)
		if err != nil {
			return nil, fmt.Errorf("%s could not be parsed (%v) nor moved aside: %w", s.Path(), perr, err)
		}
		if !moved && attempt < 3 {
			continue // the file changed under us (another process rewrote it): read again
		}
		if !moved {
			return nil, fmt.Errorf("%s could not be parsed: %w", s.Path(), perr)
		}
		ce := &CorruptError{Path: s.Path(), Backup: backup, Err: perr}
		s.noteCorrupt(ce)
		return nil, ce
	}
}

// parseFile reads the top level: a JSON object keyed by provider.
func parseFile(data []byte) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, err
	}
	if entries == nil { // the file held `null`
		return nil, errors.New("not a JSON object")
	}
	return entries, nil
}

// moveAside renames the file that held parsed (the target of auth.json, when
// that is a link) to <name>.corrupt-<UTC time> beside it, never over an
// existing file. moved is false when the file no longer held those bytes:
// another process rewrote it meanwhile, and what was renamed has been put
// back.
func (s *Store) moveAside(parsed []byte) (backup string, moved bool, err error) {
	target, err := resolveLink(s.Path())
	if err != nil {
		return "", false, err
	}
	backup, err = reserveBackup(target)
	if err != nil {
		return "", false, err
	}
	// The rename replaces the empty placeholder that reserved the name.
	if err := os.Rename(target, backup); err != nil {
		_ = os.Remove(backup)
		if errors.Is(err, fs.ErrNotExist) {
			return "", false, nil
		}
		return "", false, err
	}
	if got, err := os.ReadFile(backup); err != nil || !bytes.Equal(got, parsed) {
		putBack(backup, target)
		return "", false, nil
	}
	return backup, true, nil
}

// reserveBackup creates an empty, exclusive file named after target, with a
// timestamp, so that no two callers pick the same backup name.
func reserveBackup(target string) (string, error) {
	stamp := time.Now().UTC().Format("20060102T150405Z")
	for i := 0; i < 100; i++ {
		name := target + ".corrupt-" + stamp
		if i > 0 {
			name += fmt.Sprintf("-%d", i)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		f.Close()
		return name, nil
	}
	return "", errors.New("no free backup name")
}

// putBack returns a file that was renamed aside by mistake, unless a newer
// one has taken its place (which would have replaced it anyway).
func putBack(backup, target string) {
	err := os.Link(backup, target)
	if err == nil || errors.Is(err, fs.ErrExist) {
		_ = os.Remove(backup)
		return
	}
	// No hard links here: rename back if the name is still free.
	if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
		_ = os.Rename(backup, target)
	}
}

// resolveLink follows path while it is a symbolic link and returns the file
// it ends at, which need not exist.
func resolveLink(path string) (string, error) {
	for range maxLinks {
		info, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// write replaces the file atomically: a temp file in the same directory,
// fsynced, then renamed over it. When auth.json is a symbolic link, the file
// it points to is replaced and the link stays.
func (s *Store) write(entries map[string]json.RawMessage) (err error) {
	data, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := os.MkdirAll(s.home, 0o700); err != nil {
		return err
	}
	target, err := resolveLink(s.Path())
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, tempPrefix(target)+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil { // make the rename durable; best effort
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// tempPrefix starts the name of write's temp files beside target.
func tempPrefix(target string) string { return "." + filepath.Base(target) + ".tmp-" }

// recoverTemps settles the temp files a writer left behind when it died
// between writing one and renaming it over auth.json (kill -9 in the middle
// of a refresh). It runs under the lock, so no live writer owns any of them:
// the newest one that is complete (it parses) and newer than auth.json is
// what that writer meant to store — after a refresh, the only copy of the
// rotated refresh token — and takes auth.json's place; every other one is
// deleted. Failures are only logged: auth.json stays as it was.
func (s *Store) recoverTemps() {
	target, err := resolveLink(s.Path())
	if err != nil {
		return
	}
	dir, prefix := filepath.Dir(target), tempPrefix(target)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var current time.Time
	if info, err := os.Stat(target); err == nil {
		current = info.ModTime()
	}
	best, bestTime := "", current
	var stale []string
	for _, ent := range ents {
		if !ent.Type().IsRegular() || len(ent.Name()) <= len(prefix) || ent.Name()[:len(prefix)] != prefix {
			continue
		}
		path := filepath.Join(dir, ent.Name())
		info, err := ent.Info()
		if err != nil {
			continue
		}
		data, err := os.ReadFile(path)
		complete := err == nil && len(bytes.TrimSpace(data)) > 0
		if complete {
			_, perr := parseFile(data)
			complete = perr == nil
		}
		// Not older than auth.json: file times are as coarse as the
		// kernel's clock tick, and a refresh that follows a write within
		// one tick has the same time. A complete temp file is only left by
		// a writer that died before its rename, so it is newer.
		if complete && !info.ModTime().Before(bestTime) {
			if best != "" {
				stale = append(stale, best)
			}
			best, bestTime = path, info.ModTime()
			continue
		}
		stale = append(stale, path)
	}
	for _, p := range stale {
		_ = os.Remove(p)
	}
	if len(stale) > 0 && s.Log != nil {
		s.Log.Info("removed temp files of an interrupted auth.json write", zap.Int("count", len(stale)))
	}
	if best == "" {
		return
	}
	if err := os.Rename(best, target); err != nil {
		if s.Log != nil {
			s.Log.Warn("could not recover an interrupted auth.json write", zap.Error(err))
		}
		return
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	if s.Log != nil {
		s.Log.Warn("recovered the login that an interrupted deckhand process had written but not yet put in place")
	}
}
