package tools

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// A write that is interrupted (deckhand killed between creating its
// temporary file and renaming it into place) leaves the temporary file
// behind. Its name carries the writer's process id; the first time a
// workspace is opened in a process, a bounded walk removes the temporary
// files of writers that are gone.

// tempMarker separates a file's name from the writer's id in the name of a
// temporary file: .<name>.deckhand-<pid>-<random>.
const tempMarker = ".deckhand-"

var tempName = regexp.MustCompile(`^\..+\.deckhand-(?:(\d+)-)?[0-9a-z]+$`)

// sweepLimit bounds the entries the sweep visits.
const sweepLimit = 20000

// staleAge is how old a temporary file without a process id must be to
// count as left behind.
const staleAge = time.Hour

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
		if m == nil || !leftBehind(m[1], e) {
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
// no longer runs, or, for a name without a process id, it is old.
func leftBehind(pid string, e walkEntry) bool {
	if pid != "" {
		n, err := strconv.Atoi(pid)
		return err == nil && n != os.Getpid() && !processAlive(n)
	}
	info, err := e.entry.Info()
	return err == nil && time.Since(info.ModTime()) > staleAge
}
