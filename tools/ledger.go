package tools

import (
	"crypto/sha256"
	"io/fs"
	"sync"
	"time"
)

// Ledger is a session's record of the file versions the model has read or
// written, keyed by real path. edit consults it to refuse changing a file the
// model has not seen, or one that changed on disk since it last saw it. It is
// safe for concurrent use.
type Ledger struct {
	mu    sync.Mutex
	files map[string]stamp
}

// NewLedger returns an empty Ledger.
func NewLedger() *Ledger {
	return &Ledger{files: map[string]stamp{}}
}

// stamp identifies one version of a file.
type stamp struct {
	modTime time.Time
	size    int64
	sum     [sha256.Size]byte
}

// sameContent reports whether two stamps describe the same bytes. The
// modification time is kept for the record but does not decide: clocks can
// be coarse enough to hide a change (the hash catches it), and a file that was
// only touched still holds what the model saw.
func (s stamp) sameContent(o stamp) bool {
	return s.size == o.size && s.sum == o.sum
}

func stampOf(info fs.FileInfo, sum [sha256.Size]byte) stamp {
	return stamp{modTime: info.ModTime(), size: info.Size(), sum: sum}
}

func (l *Ledger) record(path string, s stamp) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.files[path] = s
}

func (l *Ledger) lookup(path string) (stamp, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.files[path]
	return s, ok
}
