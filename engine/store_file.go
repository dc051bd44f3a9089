package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/deckhand-dev/deckhand/auth"
)

// StopError is the stop reason a session file records for a turn that
// failed (the chat request answered an error); Record.Error says why.
const StopError StopReason = "error"

// staleSessionLock is how old a session's lock file must be, where flock
// does not exist, before it is taken to be left by a dead process; a turn
// can run long, so it is long.
const staleSessionLock = 30 * time.Minute

// lock takes the session's lock file without waiting. It returns a nil
// release and no error when another process holds it.
func (st *Store) lock(id string) (release func(), err error) {
	if err := st.ensureDir(); err != nil {
		return nil, err
	}
	return auth.TryLock(st.lockPath(id), staleSessionLock)
}

// sessionFile is a session's file, open for appending during one turn.
type sessionFile struct {
	// mu orders appends: a code-mode script's nested calls record their
	// ends from its own goroutines, beside the turn's.
	mu   sync.Mutex
	f    *os.File
	size int64 // bytes of valid records in the file
	err  error // the first failed write; nothing is written after it
}

// openFile opens the session's file for appending, under its lock. known is
// the size of the valid records the caller has read (0: none); anything
// after it is a torn write and is cut off, so that the next record starts
// on a line of its own. A missing file is created with header.
func (st *Store) openFile(id string, known int64, header *Record) (*sessionFile, error) {
	if known == 0 {
		f, err := auth.OpenRegular(st.path(id), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create the session file: %w", err)
		}
		sf := &sessionFile{f: f}
		if sf.append(header); sf.err != nil {
			f.Close()
			os.Remove(st.path(id))
			return nil, sf.err
		}
		if err := sf.sync(); err != nil {
			f.Close()
			return nil, err
		}
		syncDir(st.dir)
		return sf, nil
	}
	f, err := auth.OpenRegular(st.path(id), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("open the session file: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open the session file: %w", err)
	}
	if info.Size() > known {
		if err := f.Truncate(known); err != nil {
			f.Close()
			return nil, fmt.Errorf("drop a torn record: %w", err)
		}
	}
	return &sessionFile{f: f, size: known}, nil
}

// append writes one record as one line, in one write.
func (sf *sessionFile) append(rec *Record) {
	if sf == nil {
		return
	}
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if sf.err != nil {
		return
	}
	if rec.At == "" && (rec.Type == RecordSession || rec.Type == RecordTurn || rec.Type == RecordEnd) {
		rec.At = now()
	}
	b, err := json.Marshal(rec)
	if err != nil {
		sf.err = fmt.Errorf("encode a %s record: %w", rec.Type, err)
		return
	}
	b = append(b, '\n')
	n, err := sf.f.Write(b)
	if err != nil {
		// size stays at the last whole record: the torn bytes are cut
		// off when the file is opened again.
		sf.err = fmt.Errorf("write the session file: %w", err)
		return
	}
	sf.size += int64(n)
}

func (sf *sessionFile) sync() error {
	if sf == nil {
		return nil
	}
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if sf.err != nil {
		return sf.err
	}
	if err := sf.f.Sync(); err != nil {
		sf.err = fmt.Errorf("sync the session file: %w", err)
	}
	return sf.err
}

func (sf *sessionFile) close() {
	if sf != nil {
		sf.f.Close()
	}
}

// syncDir makes a new file's name durable; failures are harmless.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// remove deletes a session's file and lock file; false when there was none.
func (st *Store) remove(id string) (bool, error) {
	err := os.Remove(st.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		os.Remove(st.lockPath(id))
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delete the session file: %w", err)
	}
	os.Remove(st.lockPath(id))
	syncDir(st.dir)
	return true, nil
}
