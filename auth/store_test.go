package auth

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, data)
	}
	return m
}

func TestStoreEmpty(t *testing.T) {
	s := NewStore(filepath.Join(t.TempDir(), "home"))
	if _, ok, err := s.Load(); ok || err != nil {
		t.Errorf("no file: ok=%v err=%v", ok, err)
	}
	if err := s.Delete(); err != nil {
		t.Errorf("Delete with no file: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.Path()), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, s.Path(), " \n")
	if _, ok, err := s.Load(); ok || err != nil {
		t.Errorf("blank file: ok=%v err=%v", ok, err)
	}
}

func TestStoreRoundTripKeepsOthers(t *testing.T) {
	home := t.TempDir()
	s := NewStore(home)
	writeFile(t, s.Path(), `{
	  "anthropic": {"type": "oauth", "refresh": "a-r", "access": "a-a", "expires": 1, "extra": [1, 2]},
	  "openai": {"type": "oauth", "refresh": "old", "access": "old", "expires": 5, "enterpriseUrl": "https://e.example"}
	}`)
	exp := time.UnixMilli(1767225600123)
	want := Credential{Type: TypeOAuth, Access: "acc", Refresh: "ref", Expires: exp, AccountID: "acct"}
	if err := s.Save(want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Load()
	if err != nil || !ok {
		t.Fatalf("Load: ok=%v err=%v", ok, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
	m := readJSON(t, s.Path())
	anth := m["anthropic"].(map[string]any)
	if anth["refresh"] != "a-r" || !reflect.DeepEqual(anth["extra"], []any{1.0, 2.0}) {
		t.Errorf("other provider changed: %v", anth)
	}
	oa := m["openai"].(map[string]any)
	if oa["enterpriseUrl"] != "https://e.example" || oa["expires"] != float64(1767225600123) || oa["accountId"] != "acct" {
		t.Errorf("openai entry = %v", oa)
	}

	// Switching to an API key drops the oauth fields, keeps unknown ones.
	if err := s.Save(Credential{Type: TypeAPI, Key: "sk-test"}); err != nil {
		t.Fatal(err)
	}
	got, _, _ = s.Load()
	if got != (Credential{Type: TypeAPI, Key: "sk-test"}) {
		t.Errorf("api Load = %+v", got)
	}
	oa = readJSON(t, s.Path())["openai"].(map[string]any)
	if _, has := oa["refresh"]; has || oa["enterpriseUrl"] == nil || oa["key"] != "sk-test" {
		t.Errorf("api entry = %v", oa)
	}

	if err := s.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Load(); ok || err != nil {
		t.Errorf("after Delete: ok=%v err=%v", ok, err)
	}
	if m := readJSON(t, s.Path()); m["anthropic"] == nil || m["openai"] != nil {
		t.Errorf("after Delete: %v", m)
	}
	if err := s.Save(Credential{Type: "wellknown"}); err == nil {
		t.Error("saved an unknown type")
	}
}

func TestStoreModeAndNoTempFiles(t *testing.T) {
	home := filepath.Join(t.TempDir(), "new", "home")
	s := NewStore(home)
	for i := range 5 {
		if err := s.Save(Credential{Type: TypeOAuth, Access: "a", Refresh: "r", Expires: time.UnixMilli(int64(i))}); err != nil {
			t.Fatal(err)
		}
	}
	info, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("auth.json mode %o, want 600", mode)
	}
	if dir, _ := os.Stat(home); dir.Mode().Perm() != 0o700 {
		t.Errorf("home mode %o, want 700", dir.Mode().Perm())
	}
	entries, _ := os.ReadDir(home)
	if len(entries) != 1 || entries[0].Name() != "auth.json" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("home holds %v, want only auth.json", names)
	}

	// A pre-existing world-readable file becomes 0600 on rewrite.
	if err := os.Chmod(s.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(Credential{Type: TypeAPI, Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(s.Path()); info.Mode().Perm() != 0o600 {
		t.Errorf("rewritten mode %o", info.Mode().Perm())
	}
}

func TestStoreCorrupt(t *testing.T) {
	tests := []struct{ name, content string }{
		{"syntax", `{"openai": {"type": "oauth", "access": "secret-ish`},
		{"not an object", `[1, 2]`},
		{"null", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			s := NewStore(home)
			writeFile(t, s.Path(), tt.content)
			_, ok, err := s.Load()
			var ce *CorruptError
			if ok || !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) {
				t.Fatalf("ok=%v err=%v, want a CorruptError", ok, err)
			}
			if filepath.Dir(ce.Backup) != home || !strings.HasPrefix(filepath.Base(ce.Backup), "auth.json.corrupt-") {
				t.Errorf("backup at %q", ce.Backup)
			}
			if !strings.Contains(err.Error(), ce.Backup) {
				t.Errorf("message does not say where: %q", err)
			}
			if data, _ := os.ReadFile(ce.Backup); string(data) != tt.content {
				t.Errorf("backup content = %q", data)
			}
			if _, err := os.Stat(s.Path()); !os.IsNotExist(err) {
				t.Errorf("auth.json still there: %v", err)
			}
			if _, ok, err := s.Load(); ok || err != nil {
				t.Errorf("after moving aside: ok=%v err=%v", ok, err)
			}
		})
	}
}

func TestStoreCorruptNeverOverwritesBackup(t *testing.T) {
	home := t.TempDir()
	s := NewStore(home)
	var backups []string
	for i, content := range []string{"{one", "{two", "{three"} {
		writeFile(t, s.Path(), content)
		_, _, err := s.Load()
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Fatalf("round %d: %v", i, err)
		}
		backups = append(backups, ce.Backup)
	}
	for i, want := range []string{"{one", "{two", "{three"} {
		if data, _ := os.ReadFile(backups[i]); string(data) != want {
			t.Errorf("backup %s = %q, want %q", backups[i], data, want)
		}
	}
	// Save over a corrupt file moves it aside too, then writes.
	writeFile(t, s.Path(), "{four")
	if err := s.Save(Credential{Type: TypeAPI, Key: "k"}); err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(home, "auth.json.corrupt-*"))
	if len(matches) != 4 {
		t.Errorf("%d backups, want 4", len(matches))
	}
}

func TestStoreLock(t *testing.T) {
	home := t.TempDir()
	a, b := NewStore(home), NewStore(home) // two "processes"
	unlock, err := a.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Lock while held: err = %v", err)
	}
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		u, err := b.Lock(ctx)
		if err == nil {
			u()
		}
		got <- err
	}()
	unlock()
	unlock() // idempotent
	if err := <-got; err != nil {
		t.Errorf("Lock after release: %v", err)
	}
}
