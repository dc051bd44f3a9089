package tools

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Two kinds of place are off limits to the tools even inside the
// workspace, which may well be the user's home folder:
//   - deckhand's own home (its auth.json): no tool reads, lists or writes
//     it, ever, and walks leave it out;
//   - other programs' credential stores (~/.ssh, ~/.netrc, cloud and
//     registry logins, opencode's and Codex's auth.json): a call naming a
//     path in one needs the user's permission, read-only or not, and walks
//     that start outside one leave it out.

// Home is deckhand's own home as the tools know it, and what follows from
// it: the places no tool reaches (the home, and deckhand's default homes
// under the user's), the credential stores of other programs under the
// user's home, the key that tags temporary files (sweep.go), and the sweeps
// of left-behind temporary files it starts. It is made once, from the
// configuration, by whoever runs the tools (the engine), and every Env
// carries it; Close stops its sweeps and waits for them. A nil *Home keeps
// nothing private, guards nothing and sweeps nothing.
type Home struct {
	private []string // real paths: deckhand's home and its default ones

	// The key is loaded (or made) on first use, by the first write or the
	// first sweep, not by NewHome: a client waits for initialize while
	// nothing needs it yet.
	dir        string      // deckhand's home, where the key lives; "": no key
	keyOnce    sync.Once   // loads it
	key        []byte      // tags temporary files; nil: none is tagged
	onKeyError func(error) // HomeConfig.OnKeyError

	// The credential stores of other programs are resolved on first use,
	// not by NewHome: there are dozens, each resolved on the disk, and a
	// client waits for initialize while nothing needs them yet.
	userHome, dataHome string    // where they are (HomeConfig)
	storesOnce         sync.Once // resolves them
	stores             []string  // real paths, once storesOnce has run

	ctx    context.Context // ends the sweeps
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	swept  map[string]bool        // the roots swept or being swept
	timers map[string]*time.Timer // the sweeps not started yet, by root
	delay  time.Duration          // from opening a root to its sweep
	// sweepDone, when set, hears how many files each sweep removed (tests).
	sweepDone func(removed int)
}

// HomeConfig says where the homes are.
type HomeConfig struct {
	// Dir is deckhand's home (its auth.json); its temporary-file key is
	// kept there.
	Dir string
	// UserHome is the user's home folder ($HOME): other programs'
	// credential stores, and deckhand's default home, are below it.
	UserHome string
	// DataHome is $XDG_DATA_HOME when it is set: opencode's login and
	// deckhand's default home are below it.
	DataHome string
	// OnKeyError, when set, hears once why the key for temporary files
	// could not be had (an unwritable home): temporary files are then not
	// tagged and interrupted writes not swept.
	OnKeyError func(error)
}

// NewHome makes the tools' view of deckhand's home. It touches nothing on
// the disk but to resolve the homes' links: the key for temporary files
// is had on first use.
func NewHome(cfg HomeConfig) *Home {
	ctx, cancel := context.WithCancel(context.Background())
	h := &Home{ctx: ctx, cancel: cancel, swept: map[string]bool{}, timers: map[string]*time.Timer{}, dir: cfg.Dir, onKeyError: cfg.OnKeyError, delay: sweepDelay}
	if cfg.Dir != "" {
		h.private = append(h.private, realPath(cfg.Dir))
	}
	h.userHome, h.dataHome = cfg.UserHome, cfg.DataHome
	if cfg.UserHome != "" {
		h.private = append(h.private, realPath(filepath.Join(cfg.UserHome, ".local/share/deckhand")))
	}
	if cfg.DataHome != "" {
		h.private = append(h.private, realPath(filepath.Join(cfg.DataHome, "deckhand")))
	}
	return h
}

// tempKey returns the key that tags temporary files, loading or making it
// the first time; nil when there is none.
func (h *Home) tempKey() []byte {
	if h == nil || h.dir == "" {
		return nil
	}
	h.keyOnce.Do(func() {
		key, err := loadTempKey(h.dir)
		if err != nil && h.onKeyError != nil {
			h.onKeyError(err)
		}
		h.key = key
	})
	return h.key
}

// Close stops the sweeps in progress and waits for them; a sweep not
// started yet never starts.
func (h *Home) Close() {
	if h == nil {
		return
	}
	h.mu.Lock()
	h.cancel()
	for _, t := range h.timers {
		if t.Stop() {
			h.wg.Done() // its function will not run
		}
	}
	clear(h.timers)
	h.mu.Unlock()
	h.wg.Wait()
}

// realPath is path made absolute with its links resolved, as far as it
// exists.
func realPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// isPrivate reports whether real lies in deckhand's home.
func (h *Home) isPrivate(real string) bool {
	if h == nil {
		return false
	}
	for _, d := range h.private {
		if within(d, real) {
			return true
		}
	}
	return false
}

// credentialStoreList is the list of other programs' credential stores, as
// data: credential_stores.txt, one path relative to HOME a line.
//
//go:embed credential_stores.txt
var credentialStoreList string

// guardedNames are other programs' credential stores, relative to HOME,
// read from the list on first use (as the stores are resolved).
var guardedNames = sync.OnceValue(func() []string {
	var out []string
	for _, l := range strings.Split(credentialStoreList, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
})

// guarded returns the real paths of other programs' credential stores,
// resolving them the first time it is asked (safe from any goroutine).
func (h *Home) guarded() []string {
	h.storesOnce.Do(func() {
		var stores []string
		if h.userHome != "" {
			for _, n := range guardedNames() {
				stores = append(stores, realPath(filepath.Join(h.userHome, n)))
			}
		}
		if h.dataHome != "" {
			stores = append(stores, realPath(filepath.Join(h.dataHome, "opencode/auth.json")))
		}
		h.stores = stores
	})
	return h.stores
}

// isGuarded reports whether real lies in another program's credential store.
func (h *Home) isGuarded(real string) bool {
	if h == nil {
		return false
	}
	for _, d := range h.guarded() {
		if within(d, real) {
			return true
		}
	}
	return false
}

// hiddenFromWalk reports whether a walk leaves out the entry at abs (a
// child of dir): deckhand's home always, a credential store unless the
// walk is already inside one. A link is judged by where it leads.
func (h *Home) hiddenFromWalk(dir, abs string, link bool) bool {
	if h == nil {
		return false
	}
	if link {
		abs = realPath(abs)
	}
	if h.isPrivate(abs) {
		return true
	}
	return h.isGuarded(abs) && !h.isGuarded(dir)
}

// privateError is what the model sees for a path in deckhand's home.
func privateError(path string) Result {
	return fail("%q is in deckhand's own data folder (its login and sessions): no tool reads or writes it", path)
}

// NeedsPermission reports whether a call of a read-only tool must still ask
// the user: its path is in another program's credential store. The
// description says which.
func (h *Home) NeedsPermission(root, tool string, args json.RawMessage) (string, bool) {
	var p struct {
		Path string `json:"path"`
	}
	if json.Unmarshal(args, &p) != nil || p.Path == "" {
		return "", false
	}
	real, err := Resolve(root, p.Path)
	if err != nil || !h.isGuarded(real) {
		return "", false
	}
	return fmt.Sprintf("%s %s, which holds another program's credentials", tool, p.Path), true
}

// Forbidden is the refusal the model sees when real (a path Resolve gave,
// for the path the model wrote) lies in deckhand's own home, whatever
// serves the file: the disk, or an editor's buffers through ACP's fs/*
// methods, which would otherwise hand over or replace auth.json. "" when
// the path may be used.
func (h *Home) Forbidden(real, path string) string {
	if !h.isPrivate(real) {
		return ""
	}
	return privateError(path).Output
}
