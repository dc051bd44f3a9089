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

// provider is the auth.json key deckhand reads and writes.
const provider = "openai"

// Store is the auth.json file in a home directory: an object keyed by
// provider, in opencode's shape. Only the openai entry is deckhand's; other
// providers' entries, and unknown fields of the openai entry, survive every
// rewrite. The file is re-read on every call, so other processes' changes are
// seen. Save and Delete read, modify and write the file: callers that may race
// with another process's refresh hold Lock around them.
type Store struct {
	// Log, when set, hears about a corrupt file that Save or Delete moved aside.
	Log *zap.Logger

	home string
}

// NewStore is the store for <home>/auth.json; home is created (0700) on the
// first write.
func NewStore(home string) *Store {
	return &Store{home: home}
}

// Path is the auth.json file.
func (s *Store) Path() string { return filepath.Join(s.home, "auth.json") }

// entry is the openai entry's known fields.
type entry struct {
	Type      string      `json:"type"`
	Refresh   string      `json:"refresh"`
	Access    string      `json:"access"`
	Expires   json.Number `json:"expires"`
	AccountID string      `json:"accountId"`
	Key       string      `json:"key"`
}

// Load reads the openai entry. ok is false when there is no file or no entry.
// A file that does not parse is moved aside and reported as a *CorruptError.
func (s *Store) Load() (Credential, bool, error) {
	entries, err := s.read()
	if err != nil {
		return Credential{}, false, err
	}
	raw, ok := entries[provider]
	if !ok || isNull(raw) {
		return Credential{}, false, nil
	}
	var e entry
	_ = json.Unmarshal(raw, &e) // read has already checked it decodes
	c := Credential{Type: e.Type, Access: e.Access, Refresh: e.Refresh, AccountID: e.AccountID, Key: e.Key}
	if ms, err := e.Expires.Float64(); err == nil && ms != 0 {
		c.Expires = time.UnixMilli(int64(ms))
	}
	return c, true, nil
}

// Save writes c as the openai entry, atomically and with mode 0600.
func (s *Store) Save(c Credential) error {
	if c.Type != TypeOAuth && c.Type != TypeAPI {
		return fmt.Errorf("save login: unknown credential type %q", c.Type)
	}
	entries, err := s.readForWrite()
	if err != nil {
		return fmt.Errorf("save login: %w", err)
	}
	fields := map[string]json.RawMessage{}
	if raw, ok := entries[provider]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &fields); err != nil {
			return fmt.Errorf("save login: %w", err)
		}
	}
	set := func(key string, v any) {
		fields[key], _ = json.Marshal(v)
	}
	set("type", c.Type)
	switch c.Type {
	case TypeOAuth:
		set("refresh", c.Refresh)
		set("access", c.Access)
		set("expires", c.Expires.UnixMilli())
		if c.AccountID != "" {
			set("accountId", c.AccountID)
		} else {
			delete(fields, "accountId")
		}
		delete(fields, "key")
	case TypeAPI:
		set("key", c.Key)
		for _, k := range []string{"refresh", "access", "expires", "accountId"} {
			delete(fields, k)
		}
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("save login: %w", err)
	}
	entries[provider] = raw
	if err := s.write(entries); err != nil {
		return fmt.Errorf("save login: %w", err)
	}
	return nil
}

// Delete removes the openai entry; other providers' entries stay.
func (s *Store) Delete() error {
	entries, err := s.readForWrite()
	if err != nil {
		return fmt.Errorf("remove login: %w", err)
	}
	if _, ok := entries[provider]; !ok {
		return nil
	}
	delete(entries, provider)
	if err := s.write(entries); err != nil {
		return fmt.Errorf("remove login: %w", err)
	}
	return nil
}

// readForWrite is read for a rewrite: a corrupt file has been moved aside by
// then, so the rewrite starts from nothing and loses nothing.
func (s *Store) readForWrite() (map[string]json.RawMessage, error) {
	entries, err := s.read()
	var ce *CorruptError
	if errors.As(err, &ce) {
		if s.Log != nil {
			s.Log.Warn("auth.json could not be parsed and was moved aside", zap.String("backup", ce.Backup), zap.NamedError("parse", ce.Err))
		}
		return map[string]json.RawMessage{}, nil
	}
	return entries, err
}

// read parses the whole file. A missing or blank file is empty.
func (s *Store) read() (map[string]json.RawMessage, error) {
	for attempt := 0; ; attempt++ {
		f, err := os.Open(s.Path())
		if errors.Is(err, fs.ErrNotExist) {
			return map[string]json.RawMessage{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", s.Path(), err)
		}
		info, statErr := f.Stat()
		var buf bytes.Buffer
		_, readErr := buf.ReadFrom(f)
		f.Close()
		if statErr != nil || readErr != nil {
			return nil, fmt.Errorf("read %s: %w", s.Path(), errors.Join(statErr, readErr))
		}
		entries, perr := parseFile(buf.Bytes())
		if perr == nil {
			return entries, nil
		}
		backup, moved, err := s.moveAside(info)
		if err != nil {
			return nil, fmt.Errorf("%s could not be parsed (%v) nor moved aside: %w", s.Path(), perr, err)
		}
		if !moved && attempt < 3 {
			continue // the file changed under us (another process rewrote it): read again
		}
		if !moved {
			return nil, fmt.Errorf("%s could not be parsed: %w", s.Path(), perr)
		}
		return nil, &CorruptError{Path: s.Path(), Backup: backup, Err: perr}
	}
}

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
	if raw, ok := entries[provider]; ok && !isNull(raw) {
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("the %s entry: %w", provider, err)
		}
		if _, err := e.Expires.Float64(); e.Expires != "" && err != nil {
			return nil, fmt.Errorf("the %s entry: expires is not a number", provider)
		}
	}
	return entries, nil
}

// moveAside renames the file it read (info) to auth.json.corrupt-<UTC time>,
// never over an existing file. moved is false when auth.json is no longer
// the file that was read.
func (s *Store) moveAside(info fs.FileInfo) (backup string, moved bool, err error) {
	stamp := time.Now().UTC().Format("20060102T150405Z")
	for i := 0; i < 100; i++ {
		backup = s.Path() + ".corrupt-" + stamp
		if i > 0 {
			backup += fmt.Sprintf("-%d", i)
		}
		err = os.Link(s.Path(), backup)
		switch {
		case errors.Is(err, fs.ErrExist):
			continue
		case errors.Is(err, fs.ErrNotExist):
			return "", false, nil
		case err != nil:
			// No hard links here: rename, having checked the name is free.
			if _, serr := os.Lstat(backup); !errors.Is(serr, fs.ErrNotExist) {
				continue
			}
			if err := os.Rename(s.Path(), backup); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return "", false, nil
				}
				return "", false, err
			}
			return backup, true, nil
		}
		if now, err := os.Stat(backup); err != nil || !os.SameFile(info, now) {
			_ = os.Remove(backup)
			return "", false, nil
		}
		if err := os.Remove(s.Path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", false, err
		}
		return backup, true, nil
	}
	return "", false, errors.New("no free backup name")
}

// write replaces the file atomically: a temp file in the same directory,
// fsynced, then renamed over auth.json.
func (s *Store) write(entries map[string]json.RawMessage) (err error) {
	data, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := os.MkdirAll(s.home, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.home, ".auth.json.tmp-*")
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
	if err = os.Rename(tmp.Name(), s.Path()); err != nil {
		return err
	}
	if dir, derr := os.Open(s.home); derr == nil { // make the rename durable; best effort
		_ = dir.Sync()
		dir.Close()
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}
