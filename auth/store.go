package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

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
//
// auth.json may be a symbolic link (to another tool's auth.json, say): it is
// read through the link, and rewrites replace the file it points to, so the
// link stays.
//
// A file that cannot be parsed is moved aside to a timestamped backup. Load
// reports that as a *CorruptError; Save and Delete carry on with an empty file
// and succeed, and the caller learns of the backup from TakeCorrupt.
type Store struct {
	// Log, when set, hears about a corrupt file that Save or Delete moved aside.
	Log *zap.Logger

	home string

	mu      sync.Mutex
	corrupt *CorruptError // the last file moved aside, until TakeCorrupt
}

// NewStore is the store for <home>/auth.json; home is created (0700) on the
// first write.
func NewStore(home string) *Store {
	return &Store{home: home}
}

// Path is the auth.json file.
func (s *Store) Path() string { return filepath.Join(s.home, "auth.json") }

// TakeCorrupt returns the last corrupt auth.json that any method of s moved
// aside (Load, Save, Delete, and so a TokenSource's refresh too), and forgets
// it; nil when there was none since the last call. Save and Delete succeed
// over a corrupt file, so this is how their caller learns of it.
func (s *Store) TakeCorrupt() *CorruptError {
	s.mu.Lock()
	defer s.mu.Unlock()
	ce := s.corrupt
	s.corrupt = nil
	return ce
}

func (s *Store) noteCorrupt(ce *CorruptError) {
	s.mu.Lock()
	s.corrupt = ce
	s.mu.Unlock()
}

// Load reads the openai entry. ok is false when there is no file or no entry.
// A file that does not parse is moved aside and reported as a *CorruptError.
// An entry deckhand cannot use (an unknown or missing type, a field of the
// wrong type, no key or no tokens) gives ok false and an error satisfying
// ErrUnusableEntry; the file is left as it is, and the next Save replaces
// the entry.
func (s *Store) Load() (Credential, bool, error) {
	entries, err := s.read()
	if err != nil {
		return Credential{}, false, err
	}
	raw, ok := entries[provider]
	if !ok || isNull(raw) {
		return Credential{}, false, nil
	}
	c, err := decodeEntry(s.Path(), raw)
	if err != nil {
		return Credential{}, false, err
	}
	return c, true, nil
}

// Save writes c as the openai entry, atomically and with mode 0600. It
// replaces an unusable openai entry, and succeeds over a corrupt file after
// moving it aside (see TakeCorrupt).
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
		if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
			fields = map[string]json.RawMessage{} // not an object: nothing worth keeping
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

// Delete removes the openai entry; other providers' entries stay. It
// succeeds over a corrupt file after moving it aside (see TakeCorrupt).
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
// then (and noted for TakeCorrupt), so the rewrite starts from nothing and
// loses nothing.
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
