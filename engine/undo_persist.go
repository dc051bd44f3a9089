package engine

import (
	"encoding/json"

	"go.uber.org/zap"
)

// Undo in the session file: each change a turn's write or edit made is a
// RecordUndo line (an undoEntry in Data), written as the call ends; an undo
// marks its turn with one more line. A session loaded in another process
// can therefore still be undone.

// RecordUndo holds an undoEntry in Data.
const RecordUndo RecordType = "undo"

// persistUndo writes what the session file does not yet have of the running
// turn's changes to paths (and of its bash run).
func (t *turn) persistUndo(paths []string) {
	for _, e := range t.s.undo.entries(t.id, paths) {
		data, err := json.Marshal(e)
		if err != nil {
			continue
		}
		t.record(&Record{Type: RecordUndo, Data: data})
	}
}

// loadUndo rebuilds the undo log from a session file's records. The caller
// holds s.mu or owns s alone.
func (s *Session) loadUndo(extra []Record) {
	s.undo.mu.Lock()
	s.undo.turns, s.undo.written = nil, nil
	s.undo.mu.Unlock()
	for _, rec := range extra {
		if rec.Type != RecordUndo {
			continue
		}
		var e undoEntry
		if json.Unmarshal(rec.Data, &e) != nil {
			continue
		}
		s.undo.apply(rec.TurnID, e)
		if e.File != nil {
			s.undo.markWritten(rec.TurnID, e.File.Path)
		}
	}
}

// markWritten notes that the file already has the first entry of a turn's
// change to path.
func (l *undoLog) markWritten(turnID, path string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.written == nil {
		l.written = map[string]bool{}
	}
	l.written[turnID+"\x00"+path] = true
}

// appendClaimed writes a record outside a turn, while the session is
// claimed (between begin and end): the file is opened for it and closed by
// end. A session without a file yet keeps it in memory only.
func (s *Session) appendClaimed(rec *Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := &s.disk
	if d.store == nil || d.off || d.unlock == nil || d.size == 0 {
		return
	}
	if d.file == nil {
		f, err := d.store.openFile(s.ID, d.size, nil)
		if err != nil {
			d.log.Warn("the session file could not be opened", zap.String("session", s.ID), zap.Error(err))
			return
		}
		d.file = f
	}
	d.file.append(rec)
	if err := d.file.sync(); err != nil {
		d.log.Warn("session file", zap.String("session", s.ID), zap.Error(err))
	}
}
