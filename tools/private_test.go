package tools

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestHomeCredentialStoresOnFirstUse: NewHome leaves other programs'
// credential stores unresolved (initialize does not wait for them), and the
// first use resolves them, links and all, from however many goroutines ask
// at once: every guard holds as it did when they were resolved up front.
func TestHomeCredentialStoresOnFirstUse(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	home, data := filepath.Join(base, "home"), filepath.Join(base, "data")
	elsewhere := filepath.Join(home, "vault/keys")
	writeTestFile(t, filepath.Join(elsewhere, "id_ed25519"), "SECRET")
	writeTestFile(t, filepath.Join(data, "opencode/auth.json"), "SECRET")
	writeTestFile(t, filepath.Join(home, "notes.txt"), "x")
	// ~/.ssh is a link (within the home, so the workspace may follow it):
	// only a resolved store guards where it leads.
	if err := os.Symlink(elsewhere, filepath.Join(home, ".ssh")); err != nil {
		t.Fatal(err)
	}
	h := newTestHome(t, HomeConfig{Dir: filepath.Join(base, "deckhand"), UserHome: home, DataHome: data})
	if h.stores != nil {
		t.Fatalf("NewHome resolved %d credential stores up front", len(h.stores))
	}

	key, _ := json.Marshal(map[string]string{"path": ".ssh/id_ed25519"})
	notes, _ := json.Marshal(map[string]string{"path": "notes.txt"})
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Each goroutine meets the stores first through a different door.
			checks := []func(){
				func() {
					if _, ask := h.NeedsPermission(home, "read", key); !ask {
						errs <- "reading ~/.ssh/id_ed25519 (a link) does not ask"
					}
				},
				func() {
					if !h.isGuarded(filepath.Join(elsewhere, "id_ed25519")) {
						errs <- "the file ~/.ssh leads to is not guarded"
					}
				},
				func() {
					if !h.hiddenFromWalk(home, filepath.Join(home, ".ssh"), true) {
						errs <- "a walk of the home shows ~/.ssh"
					}
				},
				func() {
					if !h.isGuarded(filepath.Join(data, "opencode/auth.json")) {
						errs <- "opencode's login under XDG_DATA_HOME is not guarded"
					}
				},
				func() {
					if _, ask := h.NeedsPermission(home, "read", notes); ask {
						errs <- "an ordinary file asks"
					}
				},
			}
			for j := range checks {
				checks[(i+j)%len(checks)]()
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	seen := map[string]bool{}
	for e := range errs {
		if !seen[e] {
			seen[e] = true
			t.Error(e)
		}
	}
	if want := len(guardedNames()) + 1; len(h.stores) != want {
		t.Errorf("%d credential stores resolved, want %d", len(h.stores), want)
	}
}

// BenchmarkNewHome is what making the tools' Home costs a starting deckhand
// (initialize waits for it), with a user home and a data home as in
// production.
func BenchmarkNewHome(b *testing.B) {
	base := b.TempDir()
	cfg := HomeConfig{Dir: filepath.Join(base, "deckhand"), UserHome: base, DataHome: filepath.Join(base, "data")}
	for b.Loop() {
		NewHome(cfg).Close()
	}
}
