package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// Save and Delete over a corrupt file succeed, and the caller learns of the
// backup from TakeCorrupt, once.
func TestStoreTakeCorrupt(t *testing.T) {
	tests := []struct {
		name string
		op   func(*Store) error
	}{
		{"Save", func(s *Store) error { return s.Save(Credential{Type: TypeAPI, Key: "sk-1"}) }},
		{"Delete", (*Store).Delete},
		{"Load", func(s *Store) error {
			if _, _, err := s.Load(); !errors.Is(err, ErrCorrupt) {
				return err
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			s := NewStore(home)
			core, logs := observer.New(zapcore.DebugLevel)
			s.Log = zap.New(core)
			if ce := s.TakeCorrupt(); ce != nil {
				t.Fatalf("fresh store: %v", ce)
			}
			writeFile(t, s.Path(), `{"openai": {"type": "api", "key": "sk-secret-in-broken-file"`)
			if err := tt.op(s); err != nil {
				t.Fatalf("%s over a corrupt file: %v", tt.name, err)
			}
			ce := s.TakeCorrupt()
			if ce == nil {
				t.Fatal("TakeCorrupt = nil after the file was moved aside")
			}
			var asErr error = ce
			if !errors.Is(asErr, ErrCorrupt) || ce.Path != s.Path() || !strings.HasPrefix(filepath.Base(ce.Backup), "auth.json.corrupt-") {
				t.Errorf("TakeCorrupt = %+v", ce)
			}
			if data, _ := os.ReadFile(ce.Backup); !strings.HasPrefix(string(data), `{"openai"`) {
				t.Errorf("backup holds %q", data)
			}
			if again := s.TakeCorrupt(); again != nil {
				t.Errorf("second TakeCorrupt = %v, want nil", again)
			}
			checkLogs(t, logs, "sk-secret-in-broken-file")
		})
	}
}

// A symlinked auth.json (shared with another tool) stays a link: rewrites
// replace the file it points to.
func TestStoreSymlink(t *testing.T) {
	tests := []struct {
		name string
		link func(t *testing.T, home, target string) // makes home/auth.json point at target
	}{
		{"absolute", func(t *testing.T, home, target string) {
			if err := os.Symlink(target, filepath.Join(home, "auth.json")); err != nil {
				t.Skip("no symbolic links here:", err)
			}
		}},
		{"relative, two hops", func(t *testing.T, home, target string) {
			rel, err := filepath.Rel(home, target)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(rel, filepath.Join(home, "hop.json")); err != nil {
				t.Skip("no symbolic links here:", err)
			}
			if err := os.Symlink("hop.json", filepath.Join(home, "auth.json")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			home := filepath.Join(root, "deckhand")
			otherDir := filepath.Join(root, "opencode")
			for _, d := range []string{home, otherDir} {
				if err := os.Mkdir(d, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			target := filepath.Join(otherDir, "auth.json")
			writeFile(t, target, `{"anthropic": {"type": "api", "key": "sk-ant"}}`)
			tt.link(t, home, target)
			s := NewStore(home)

			if err := s.Save(Credential{Type: TypeAPI, Key: "sk-1"}); err != nil {
				t.Fatal(err)
			}
			assertLink(t, s.Path())
			m := readJSON(t, target)
			if m["anthropic"] == nil || entryField(m["openai"], "key") != "sk-1" {
				t.Errorf("target holds %v", m)
			}
			if c, ok, err := s.Load(); err != nil || !ok || c.Key != "sk-1" {
				t.Errorf("Load through the link = %+v, %v, %v", c, ok, err)
			}
			if err := s.Delete(); err != nil {
				t.Fatal(err)
			}
			assertLink(t, s.Path())
			if m := readJSON(t, target); m["openai"] != nil || m["anthropic"] == nil {
				t.Errorf("after Delete the target holds %v", m)
			}
			if tmps, _ := filepath.Glob(filepath.Join(otherDir, ".*tmp*")); len(tmps) != 0 {
				t.Errorf("temp files left: %v", tmps)
			}

			// A corrupt target is moved aside beside itself; the link stays
			// and the next Save writes through it again.
			writeFile(t, target, "{broken")
			if err := s.Save(Credential{Type: TypeAPI, Key: "sk-2"}); err != nil {
				t.Fatal(err)
			}
			ce := s.TakeCorrupt()
			if ce == nil || filepath.Dir(ce.Backup) != otherDir {
				t.Fatalf("TakeCorrupt = %+v, want a backup in %s", ce, otherDir)
			}
			if data, _ := os.ReadFile(ce.Backup); string(data) != "{broken" {
				t.Errorf("backup holds %q", data)
			}
			assertLink(t, s.Path())
			if m := readJSON(t, target); entryField(m["openai"], "key") != "sk-2" {
				t.Errorf("after the corrupt file: target holds %v", m)
			}
		})
	}
}

func assertLink(t *testing.T, path string) {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("%s is no longer a symbolic link (mode %v)", path, info.Mode())
	}
}

// A dangling link (the other tool has not written its file yet) is written
// through, creating the target.
func TestStoreDanglingSymlink(t *testing.T) {
	home, otherDir := t.TempDir(), t.TempDir()
	target := filepath.Join(otherDir, "auth.json")
	if err := os.Symlink(target, filepath.Join(home, "auth.json")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	s := NewStore(home)
	if _, ok, err := s.Load(); ok || err != nil {
		t.Fatalf("dangling link: ok=%v err=%v", ok, err)
	}
	if err := s.Save(Credential{Type: TypeAPI, Key: "sk-1"}); err != nil {
		t.Fatal(err)
	}
	assertLink(t, s.Path())
	if info, err := os.Stat(target); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("target: %v, %v", info, err)
	}
}

// moveAside moves only the bytes that were parsed: a file that another
// process put in place meanwhile stays where it is, and no backup is left.
func TestStoreMoveAsideOnlyWhatWasParsed(t *testing.T) {
	home := t.TempDir()
	s := NewStore(home)
	good := `{"openai": {"type": "api", "key": "sk-good"}}`
	writeFile(t, s.Path(), good)
	backup, moved, err := s.moveAside([]byte("{broken"))
	if err != nil || moved || backup != "" {
		t.Errorf("moveAside of a replaced file = %q, %v, %v; want nothing moved", backup, moved, err)
	}
	if data, _ := os.ReadFile(s.Path()); string(data) != good {
		t.Errorf("auth.json holds %q, want the good file", data)
	}
	if left, _ := filepath.Glob(filepath.Join(home, "auth.json.corrupt-*")); len(left) != 0 {
		t.Errorf("backups left: %v", left)
	}

	// The bytes that were parsed are moved, under a name of their own.
	writeFile(t, s.Path(), "{broken")
	first, moved, err := s.moveAside([]byte("{broken"))
	if err != nil || !moved {
		t.Fatalf("moveAside = %q, %v, %v", first, moved, err)
	}
	writeFile(t, s.Path(), "{broken")
	second, moved, err := s.moveAside([]byte("{broken"))
	if err != nil || !moved || second == first {
		t.Fatalf("second moveAside = %q (first %q), %v, %v", second, first, moved, err)
	}
	for _, b := range []string{first, second} {
		if data, _ := os.ReadFile(b); string(data) != "{broken" {
			t.Errorf("%s holds %q", b, data)
		}
	}
	if _, err := os.Stat(s.Path()); !os.IsNotExist(err) {
		t.Errorf("auth.json still there: %v", err)
	}
}

// entryField is entry[key] for an entry decoded from JSON; nil when the entry
// is not an object.
func entryField(entry any, key string) any {
	m, _ := entry.(map[string]any)
	return m[key]
}
