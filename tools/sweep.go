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
	"time"
)

// A write that is interrupted (deckhand killed between creating its
// temporary file and renaming it into place) leaves the temporary file
// behind. Its name carries the writer's process id and a tag only deckhand
// can make: an HMAC of the rest of the name under a key kept in deckhand's
// own home. The first time a workspace is opened in a process, a bounded
// walk removes the temporary files whose tag checks and whose writer is
// gone. It starts a little later (sweepDelay), not while the client waits
// for initialize's answer, which it would slow on a machine of few cores.
// A file merely named like one (a user's .env.deckhand-prod) has no valid
// tag and is never touched; without a key nothing is swept.

// tempMarker separates a file's name from the writer's id in the name of a
// temporary file: .<name>.deckhand-<pid>-<random>-<tag>.
const tempMarker = ".deckhand-"

// tempName matches a temporary file's name; compiled on first use (by a
// sweep), not at every start.
var tempName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\.(.+)\.deckhand-(\d+)-([0-9a-z]+)-([0-9a-f]{16})$`)
})

// sweepLimit bounds the entries the sweep visits.
const sweepLimit = 20000

// sweepDelay is how long after a root is first opened its sweep starts.
const sweepDelay = 500 * time.Millisecond

// tempKeyFile is the key's file in deckhand's home.
const tempKeyFile = "temp-key"

// loadTempKey loads the key that tags temporary files from deckhand's home,
// creating it the first time. Without it (an unwritable home), temporary
// files carry no valid tag and the sweep removes nothing.
func loadTempKey(home string) ([]byte, error) {
	path := filepath.Join(home, tempKeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(key) != 32 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
		if err := os.MkdirAll(home, 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) { // another process made it meanwhile
			if key, err = os.ReadFile(path); err != nil || len(key) != 32 {
				return nil, errors.New("the temp-file key in deckhand's home is unreadable")
			}
		} else if err != nil {
			return nil, err
		} else {
			_, werr := f.Write(key)
			if cerr := f.Close(); werr != nil || cerr != nil {
				os.Remove(path)
				return nil, errors.Join(werr, cerr)
			}
		}
	} else if err != nil {
		return nil, err
	}
	return key, nil
}

// tempTag is the tag of a temporary file's name, "" without a key.
func (h *Home) tempTag(name, pid, random string) string {
	key := h.tempKey()
	if key == nil {
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(name + "\x00" + pid + "\x00" + random))
	return hex.EncodeToString(m.Sum(nil))[:16]
}

// sweepOnce schedules the sweep of root, sweepDelay from now, unless this
// home did it already. The sweep runs on a goroutine of its own (a timer's:
// none exists until then), which Close stops and waits for.
func (h *Home) sweepOnce(root string) {
	if h == nil || h.dir == "" {
		return // no key, so no tag can be checked: nothing would be removed
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.swept[root] || h.ctx.Err() != nil {
		return
	}
	h.swept[root] = true
	h.wg.Add(1)
	h.timers[root] = time.AfterFunc(h.delay, func() {
		defer h.wg.Done()
		h.mu.Lock()
		delete(h.timers, root)
		h.mu.Unlock()
		n := 0
		if h.ctx.Err() == nil && h.tempKey() != nil {
			n = h.sweepTemps(h.ctx, root)
		}
		if h.sweepDone != nil {
			h.sweepDone(n)
		}
	})
}

// sweepTemps removes the temporary files left below root by writers that
// are gone, and returns how many; it stops when ctx ends.
func (h *Home) sweepTemps(ctx context.Context, root string) int {
	removed, seen := 0, 0
	r, err := os.OpenRoot(root)
	if err != nil {
		return 0
	}
	defer r.Close()
	_ = walkTree(ctx, h, root, root, func(e walkEntry) error {
		seen++
		if seen > sweepLimit {
			return errStopWalk
		}
		if !e.entry.Type().IsRegular() {
			return nil
		}
		m := tempName().FindStringSubmatch(e.entry.Name())
		if m == nil {
			return nil
		}
		if tag := h.tempTag(m[1], m[2], m[3]); tag == "" || !hmac.Equal([]byte(tag), []byte(m[4])) || !leftBehind(m[2]) {
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
