package engine

import (
	"errors"
	"testing"
)

// TestSessionBusyInMemory: one turn per session is decided in memory, under
// the session's lock. The lock file also refuses a second turn when it can
// be had, so each case here leaves it out: a session whose lock file was
// unavailable (kept in memory only), and one with no store.
func TestSessionBusyInMemory(t *testing.T) {
	e := New(Config{Home: t.TempDir()})
	defer e.Close()
	offDisk := e.newSession("ses_off", t.TempDir(), false, nil)
	offDisk.disk.off = true
	noStore := e.newSession("ses_nostore", t.TempDir(), false, nil)
	noStore.disk.store = nil
	for _, s := range []*Session{offDisk, noStore} {
		if _, err := s.begin("turn_1", func() {}); err != nil {
			t.Fatalf("%s: first turn: %v", s.ID, err)
		}
		_, err := s.begin("turn_2", func() {})
		var busy *SessionBusyError
		if !errors.As(err, &busy) || busy.SessionID != s.ID {
			t.Fatalf("%s: second turn while the first runs: %v, want busy", s.ID, err)
		}
		s.end()
		if _, err := s.begin("turn_3", func() {}); err != nil {
			t.Fatalf("%s: a turn after the first ended: %v", s.ID, err)
		}
		s.end()
	}
}
