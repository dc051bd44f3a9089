package engine

import (
	"encoding/json"
	"os"
	"runtime"

	"go.uber.org/zap"
)

// guarded reports whether a read-only call still needs the user's
// permission: it names a path in another program's credential store.
func (t *turn) guarded(c Item) bool {
	_, ok := t.e.home.NeedsPermission(t.s.root, c.Name, json.RawMessage(c.Arguments))
	return ok
}

// tightenHome makes an existing home folder that others can open private
// to the user (it holds the login and the sessions), and says so in the
// log. A folder it cannot change is reported.
func tightenHome(home string, log *zap.Logger) {
	if runtime.GOOS == "windows" || home == "" {
		return
	}
	info, err := os.Stat(home)
	if err != nil || !info.IsDir() || info.Mode().Perm()&0o077 == 0 {
		return
	}
	if err := os.Chmod(home, 0o700); err != nil {
		log.Warn("deckhand's home folder can be opened by other users and could not be made private; run chmod 700 on it",
			zap.String("home", home), zap.Stringer("mode", info.Mode().Perm()), zap.Error(err))
		return
	}
	log.Warn("deckhand's home folder could be opened by other users: made private (0700)",
		zap.String("home", home), zap.Stringer("was", info.Mode().Perm()))
}
