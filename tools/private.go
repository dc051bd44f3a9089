package tools

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Two kinds of place are off limits to the tools even inside the
// workspace, which may well be the user's home folder:
//   - deckhand's own home (its auth.json): no tool reads, lists or writes
//     it, ever, and walks leave it out;
//   - other programs' credential stores (~/.ssh, ~/.netrc, cloud and
//     registry logins, opencode's and Codex's auth.json): a call naming a
//     path in one needs the user's permission, read-only or not, and walks
//     that start outside one leave it out.

var private struct {
	sync.RWMutex
	dirs []string // real paths
}

// KeepPrivate adds dir (deckhand's home) to the places no tool reaches.
// It applies process-wide: one deckhand has one home.
func KeepPrivate(dir string) {
	if dir == "" {
		return
	}
	real := realPath(dir)
	private.Lock()
	defer private.Unlock()
	for _, d := range private.dirs {
		if d == real {
			return
		}
	}
	private.dirs = append(private.dirs, real)
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

// isPrivate reports whether real lies in deckhand's home, the one given to
// KeepPrivate or the default one.
func isPrivate(real string) bool {
	private.RLock()
	defer private.RUnlock()
	for _, d := range private.dirs {
		if within(d, real) {
			return true
		}
	}
	for _, d := range credentialStores().deckhand {
		if within(d, real) {
			return true
		}
	}
	return false
}

// stores is the credential stores of the current HOME.
type stores struct {
	home     string
	deckhand []string // deckhand's default homes
	guarded  []string
}

var storeCache struct {
	sync.Mutex
	s *stores
}

// credentialStoreList is the list of other programs' credential stores, as
// data: credential_stores.txt, one path relative to HOME a line.
//
//go:embed credential_stores.txt
var credentialStoreList string

// guardedNames are other programs' credential stores, relative to HOME.
var guardedNames = func() []string {
	var out []string
	for _, l := range strings.Split(credentialStoreList, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}()

// credentialStores returns the stores below the current HOME, computed
// again when HOME changes.
func credentialStores() *stores {
	home := os.Getenv("HOME")
	storeCache.Lock()
	defer storeCache.Unlock()
	if s := storeCache.s; s != nil && s.home == home {
		return s
	}
	s := &stores{home: home}
	if home != "" {
		for _, n := range guardedNames {
			s.guarded = append(s.guarded, realPath(filepath.Join(home, n)))
		}
		s.deckhand = append(s.deckhand, realPath(filepath.Join(home, ".local/share/deckhand")))
	}
	if xdg := os.Getenv("XDG_DATA_HOME"); xdg != "" {
		s.guarded = append(s.guarded, realPath(filepath.Join(xdg, "opencode/auth.json")))
		s.deckhand = append(s.deckhand, realPath(filepath.Join(xdg, "deckhand")))
	}
	storeCache.s = s
	return s
}

// isGuarded reports whether real lies in another program's credential store.
func isGuarded(real string) bool {
	for _, d := range credentialStores().guarded {
		if within(d, real) {
			return true
		}
	}
	return false
}

// hiddenFromWalk reports whether a walk leaves out the entry at abs (a
// child of dir): deckhand's home always, a credential store unless the
// walk is already inside one. A link is judged by where it leads.
func hiddenFromWalk(dir, abs string, link bool) bool {
	if link {
		abs = realPath(abs)
	}
	if isPrivate(abs) {
		return true
	}
	return isGuarded(abs) && !isGuarded(dir)
}

// privateError is what the model sees for a path in deckhand's home.
func privateError(path string) Result {
	return fail("%q is in deckhand's own data folder (its login and sessions): no tool reads or writes it", path)
}

// NeedsPermission reports whether a call of a read-only tool must still ask
// the user: its path is in another program's credential store. The
// description says which.
func NeedsPermission(root, tool string, args json.RawMessage) (string, bool) {
	var p struct {
		Path string `json:"path"`
	}
	if json.Unmarshal(args, &p) != nil || p.Path == "" {
		return "", false
	}
	real, err := Resolve(root, p.Path)
	if err != nil || !isGuarded(real) {
		return "", false
	}
	return fmt.Sprintf("%s %s, which holds another program's credentials", tool, p.Path), true
}

// Forbidden is the refusal the model sees when real (a path Resolve gave,
// for the path the model wrote) lies in deckhand's own home, whatever
// serves the file: the disk, or an editor's buffers through ACP's fs/*
// methods, which would otherwise hand over or replace auth.json. "" when
// the path may be used.
func Forbidden(real, path string) string {
	if !isPrivate(real) {
		return ""
	}
	return privateError(path).Output
}
