package auth

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
)

// Inspection is what Inspect found in a home directory, without changing
// anything there.
type Inspection struct {
	Path      string
	Exists    bool        // auth.json exists
	Mode      fs.FileMode // its permission bits (of the file a link points to)
	ReadErr   error       // it exists but could not be read
	ParseErr  error       // it is not a JSON object of providers
	HasEntry  bool        // it has an openai entry
	EntryErr  error       // the entry cannot be used (ErrUnusableEntry)
	Cred      Credential  // the entry, when usable; never to be printed
	Providers []string    // every provider key, deckhand's included
}

// Inspect reads <home>/auth.json for a health check. Unlike Load it never
// moves a corrupt file aside or writes anything.
func Inspect(home string) Inspection {
	s := NewStore(home)
	in := Inspection{Path: s.Path()}
	info, err := os.Stat(in.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return in
	}
	in.Exists = true
	if err != nil {
		in.ReadErr = err
		return in
	}
	in.Mode = info.Mode().Perm()
	data, err := os.ReadFile(in.Path)
	if err != nil {
		in.ReadErr = err
		return in
	}
	entries, err := parseFile(data)
	if err != nil {
		in.ParseErr = err
		return in
	}
	for k := range entries {
		in.Providers = append(in.Providers, k)
	}
	raw, ok := entries[provider]
	if !ok || isNull(raw) {
		return in
	}
	in.HasEntry = true
	in.Cred, in.EntryErr = decodeEntry(in.Path, json.RawMessage(raw))
	return in
}
