package tools

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
)

// A write that is interrupted (deckhand killed between creating its
// temporary file and renaming it into place) leaves the temporary file
// behind. Its name carries the writer's process id and a tag only deckhand
// can make: an HMAC of the rest of the name under a key kept in deckhand's
// own home. The first time a workspace is opened in a process, a bounded
// walk removes the temporary files whose tag checks and whose writer is
// gone. A file merely named like one (a user's .env.deckhand-prod) has no
// valid tag and is never touched; without a key nothing is swept.

// tempMarker separates a file's name from the writer's id in the name of a
// temporary file: .<name>.deckhand-<pid>-<random>-<tag>.
const tempMarker = ".deckhand-"

var tempName = regexp.MustCompile(`^\.(.+)\.deckhand-(\d+)-([0-9a-z]+)-([0-9a-f]{16})$`)

// sweepLimit bounds the entries the sweep visits.
const sweepLimit = 20000

// tempKeyFile is the key's file in deckhand's home.
const tempKeyFile = "temp-key"

var tempKey struct {
	sync.RWMutex
	key []byte
}

// UseTempKey loads the key that tags temporary files from deckhand's home,
// creating it the first time. Without it (an unwritable home), temporary
// files carry no valid tag and the sweep removes nothing.
func UseTempKey(home string) error {
	path := filepath.Join(home, tempKeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(key) != 32 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
		if err := os.MkdirAll(home, 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) { // another process made it meanwhile
			if key, err = os.ReadFile(path); err != nil || len(key) != 32 {
				return errors.New("the temp-file key in deckhand's home is unreadable")
			}
		} else if err != nil {
			return err
		} else {
			_, werr := f.Write(key)
			if cerr := f.Close(); werr != nil || cerr != nil {
				os.Remove(path)
				return errors.Join(werr, cerr)
			}
		}
	} else if err != nil {
		return err
	}
	tempKey.Lock()
	tempKey.key = key
	tempKey.Unlock()
	return nil
}

// tempTag is the tag of a temporary file's name, "" without a key.
func tempTag(name, pid, random string) string {
	tempKey.RLock()
	key := tempKey.key
	tempKey.RUnlock()
	if key == nil {
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(name + "\x00" + pid + "\x00" + random))
	return hex.EncodeToString(m.Sum(nil))[:16]
}

var swept sync.Map // root -> struct{}

// sweepOnce starts the sweep of root unless this process did it already.
// done, when not nil, is called when it ends (tests).
func sweepOnce(root string, done func(removed int)) {
	if _, loaded := swept.LoadOrStore(root, struct{}{}); loaded {
		return
	}
	go func() {
		n := sweepTemps(root)
		if done != nil {
			done(n)
		}
	}()
}

// sweepDone is set by tests to learn when a sweep ended.
var sweepDone func(removed int)

// sweepTemps removes the temporary files left below root by writers that
// are gone, and returns how many.
func sweepTemps(root string) int {
	removed, seen := 0, 0
	r, err := os.OpenRoot(root)
	if err != nil {
		return 0
	}
	defer r.Close()
	_ = walkTree(context.Background(), root, root, func(e walkEntry) error {
		seen++
		if seen > sweepLimit {
			return errStopWalk
		}
		if !e.entry.Type().IsRegular() {
			return nil
		}
		m := tempName.FindStringSubmatch(e.entry.Name())
		if m == nil {
			return nil
		}
		if tag := tempTag(m[1], m[2], m[3]); tag == "" || !hmac.Equal([]byte(tag), []byte(m[4])) || !leftBehind(m[2]) {
			return nil
		}
		if r.Remove(e.rel) == nil {
			removed++
		}
		return nil
	})
	return removed
}

// leftBehind reports whether a temporary file's writer is gone: its process
// no longer runs.
func leftBehind(pid string) bool {
	n, err := strconv.Atoi(pid)
	return err == nil && n != os.Getpid() && !processAlive(n)
}
