package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/auth"
)

// diskState is what a session knows of its file. The file is written only
// by the goroutine running the session's turn, between begin and end.
type diskState struct {
	store  *Store
	log    *zap.Logger
	size   int64        // bytes of valid records as this process knows them; 0: no file yet
	off    bool         // no lock could be had: the session goes on in memory only
	behind bool         // a write failed (a full disk): the file lacks records, and the next turn writes the whole history again
	gone   bool         // deleted: the session must not run another turn
	file   *sessionFile // open during a turn
	unlock func()       // the lock file, held during a turn
	kept   int          // history items of the running turn already written
}

// claimFile takes the session's lock file for a turn and brings the history
// up to date with turns another process ran since this one read the file.
// The caller holds s.mu.
func (s *Session) claimFile() error {
	d := &s.disk
	if d.gone {
		return &UnknownSessionError{SessionID: s.ID}
	}
	if d.store == nil || d.off {
		return nil
	}
	unlock, err := d.store.lock(s.ID)
	if err != nil {
		d.log.Warn("session lock unavailable; the session is kept in memory only", zap.String("session", s.ID), zap.Error(err))
		d.off = true
		return nil
	}
	if unlock == nil {
		return &SessionBusyError{SessionID: s.ID}
	}
	if d.size != 0 { // -1: unloaded, read it again
		info, err := os.Stat(d.store.path(s.ID))
		if errors.Is(err, fs.ErrNotExist) {
			unlock()
			d.gone = true
			return &UnknownSessionError{SessionID: s.ID}
		}
		if err == nil && info.Size() != d.size && !d.behind {
			st, err := d.store.Load(s.ID)
			if err != nil {
				unlock()
				return err
			}
			s.history, d.size, s.dangling = st.History, st.Size, st.Dangling
			s.loadUndo(st.Extra)
		}
	}
	d.unlock = unlock
	return nil
}

// releaseFile closes the file and lock of a turn. The caller holds s.mu.
func (s *Session) releaseFile() {
	d := &s.disk
	if d.file != nil {
		if d.file.err != nil {
			d.log.Warn("the session file could not be written; the session is kept in memory and written again at its next turn",
				zap.String("session", s.ID), zap.Error(d.file.err))
		}
		d.behind = d.file.err != nil
		d.size = d.file.size
		d.file.close()
		d.file = nil
	}
	if d.unlock != nil {
		d.unlock()
		d.unlock = nil
		if d.size == 0 {
			// The turn wrote nothing (it failed before it started): no
			// other process knows the session, so its lock file goes too.
			os.Remove(d.store.lockPath(s.ID))
		}
	}
	d.kept = 0
}

// open starts the running turn's records (the file's header first for a
// new session) and returns the history the turn works on: the session's,
// the items that go before the user's message (environment, instructions),
// and the message as the model gets it (sent: with its attachments).
func (t *turn) open(message, sent string, pre []Item) []Item {
	s := t.s
	t.retryOf = s.takeRetry(t.retryOf, message)
	user := Item{Kind: ItemUser, Text: sent, Images: t.images}
	history := append(append(s.snapshotHistory(), pre...), user)
	d := &s.disk
	if d.store != nil && !d.off && d.unlock != nil {
		var header *Record
		if d.size == 0 {
			header = &Record{Type: RecordSession, Version: FormatVersion, SessionID: s.ID, WorkspaceRoot: s.root, Title: Title(message)}
		}
		if d.behind && d.size == 0 {
			// A header torn by a full disk: the file is this session's
			// (its lock is held) and holds nothing else.
			os.Remove(d.store.path(s.ID))
		}
		f, err := d.store.openFile(s.ID, d.size, header)
		if err != nil {
			t.e.log.Warn("the session file could not be opened; the session is kept in memory and written at its next turn", zap.String("session", s.ID), zap.Error(err))
			d.behind = true
			t.notSaved(err)
		} else {
			d.file = f
		}
	}
	d.file.append(&Record{Type: RecordTurn, TurnID: t.id, Message: message, Model: t.model, Effort: t.chosenEffort, DefaultModel: t.defaultModel, Attachments: t.attachments, RetryOf: t.retryOf})
	if d.behind && d.file != nil {
		// Records of an earlier turn were lost to a failed write: the
		// whole history goes in again, as one record.
		d.file.append(&Record{Type: RecordHistory, TurnID: t.id, Items: s.snapshotHistory()})
	}
	for i := len(history) - len(pre) - 1; i < len(history); i++ {
		d.file.append(&Record{Type: RecordItem, TurnID: t.id, Item: &history[i]})
	}
	d.kept = len(history)
	return history
}

// keep writes the items the turn added to history since the last call.
func (t *turn) keep(history []Item) {
	d := &t.s.disk
	for i := d.kept; i < len(history); i++ {
		d.file.append(&Record{Type: RecordItem, TurnID: t.id, Item: &history[i]})
	}
	d.kept = len(history)
}

// finish writes the rest of a turn and its end, syncs the file (the turn
// boundary is what survives a power cut), and makes history the session's.
func (t *turn) finish(history []Item, res TurnResult, err error) {
	t.keep(history)
	d := &t.s.disk
	rec := Record{Type: RecordEnd, TurnID: t.id, StopReason: res.StopReason, Text: res.Text, Steps: res.Steps, Usage: &res.Usage}
	if err != nil {
		rec.StopReason, rec.Error = StopError, err.Error()
	}
	d.file.append(&rec)
	if err := d.file.sync(); err != nil {
		t.e.log.Warn("session file", zap.String("session", t.s.ID), zap.Error(err))
		t.notSaved(err)
	}
	t.s.setHistory(history)
	t.e.evict()
}

// keepChoice writes the model and effort the session goes on with after a
// turn whose model the service refused: that turn's record names the
// refused model, and a session read from its file continues with the last
// one named.
func (t *turn) keepChoice(model, effort string) {
	d := &t.s.disk
	d.file.append(&Record{Type: RecordSettings, At: now(), Model: model, Effort: effort})
	if err := d.file.sync(); err != nil {
		t.e.log.Warn("session file", zap.String("session", t.s.ID), zap.Error(err))
	}
}

// resume makes a stored session resident. It works in the workspace it was
// started in; a new client's capability applies.
func (e *Engine) resume(id string) (*Session, error) {
	st, err := e.saved.Load(id)
	if err != nil {
		return nil, err
	}
	root := st.Summary.WorkspaceRoot
	if _, err := e.home.NewEnv(root); err != nil {
		return nil, &InvalidParamsError{Field: "sessionId",
			Problem: fmt.Sprintf("names a session of the workspace %s, which is not a usable directory now", root)}
	}
	e.mu.Lock()
	if s, ok := e.sessions[id]; ok { // loaded meanwhile
		e.mu.Unlock()
		return s, nil
	}
	s := e.newSession(id, root, e.permissions, nil)
	s.history, s.disk.size, s.dangling = st.History, st.Size, st.Dangling
	s.model, s.effort = st.Summary.ChosenModel, st.Summary.Effort
	s.loadUndo(st.Extra)
	e.sessions[id] = s
	e.mu.Unlock()
	e.evict() // one more in memory: the least used may go
	return s, nil
}

// ListSessions lists the stored sessions of a workspace (every workspace's
// when root is ""), newest first, at most limit of them (0: all). A file
// that cannot be read is listed as broken, whatever its workspace when that
// cannot be told, and left on disk.
func (e *Engine) ListSessions(root string, limit int) ([]SessionSummary, error) {
	if root != "" {
		root = canonical(root)
	}
	entries, err := os.ReadDir(e.saved.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the sessions folder: %w", err)
	}
	var out []SessionSummary
	for _, ent := range entries {
		id, ok := strings.CutSuffix(ent.Name(), ".jsonl")
		if !ok || !validID(id) || !ent.Type().IsRegular() {
			continue
		}
		sum := e.saved.summary(id)
		if root != "" && sum.WorkspaceRoot != "" && sum.WorkspaceRoot != root {
			continue
		}
		out = append(out, sum)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].UpdatedAt.After(out[j].UpdatedAt) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// canonical cleans a root the way the tools fix one, when it exists.
func canonical(root string) string {
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	return filepath.Clean(root)
}

// summary reads what a list shows of a session file.
func (st *Store) summary(id string) SessionSummary {
	sum := SessionSummary{SessionID: id}
	f, err := auth.OpenRegular(st.path(id), os.O_RDONLY, 0)
	if err != nil {
		sum.Broken, sum.Error = true, err.Error()
		return sum
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil {
		sum.UpdatedAt = info.ModTime()
	}
	last := "" // the last turn's id: a retry of it replaced it (retry.go)
	err = readRecords(f, true, func(rec *Record, _ int64) error {
		switch rec.Type {
		case RecordSession:
			if rec.SessionID != id {
				return fmt.Errorf("its header names session %q", rec.SessionID)
			}
			var b builder
			if err := b.add(rec, 0); err != nil {
				return err
			}
			sum.Title, sum.WorkspaceRoot, sum.CreatedAt = b.s.Summary.Title, b.s.Summary.WorkspaceRoot, b.s.Summary.CreatedAt
		case RecordTurn:
			if rec.RetryOf == "" || rec.RetryOf != last {
				sum.Turns++
			}
			last = rec.TurnID
			sum.Model, sum.Effort = rec.Model, rec.Effort
		case RecordSettings:
			sum.Model, sum.Effort = rec.Model, rec.Effort
		}
		return nil
	})
	if err != nil {
		sum.Broken, sum.Error = true, (&BrokenError{SessionID: id, Reason: err.Error()}).Error()
	}
	return sum
}

// LoadSession reads a session's transcript, for an editor to show again.
// A turn running now (here or in another process) has no stop reason yet.
func (e *Engine) LoadSession(id string) (SessionSummary, []StoredTurn, error) {
	e.mu.Lock()
	s := e.sessions[id]
	e.mu.Unlock()
	running := false
	if s != nil {
		s.mu.Lock()
		running = s.turn != nil
		s.mu.Unlock()
	}
	st, err := e.saved.Load(id)
	var unknown *UnknownSessionError
	if errors.As(err, &unknown) && s != nil {
		// Started here, no turn written yet.
		return SessionSummary{SessionID: id, WorkspaceRoot: s.root}, nil, nil
	}
	if err != nil {
		return SessionSummary{}, nil, err
	}
	if !running {
		if unlock, lerr := e.saved.lock(id); lerr == nil {
			if unlock == nil {
				running = true
			} else {
				unlock()
			}
		}
	}
	if n := len(st.Turns); running && n > 0 {
		last := &st.Turns[n-1]
		if last.Error == "deckhand stopped before this turn ended" {
			last.StopReason, last.Error = "", ""
		}
	}
	return st.Summary, st.Turns, nil
}

// DeleteSession deletes a session, in memory and on disk; false when there
// was none. A session with a running turn, here or in another process, is
// busy.
func (e *Engine) DeleteSession(id string) (bool, error) {
	e.mu.Lock()
	s := e.sessions[id]
	e.mu.Unlock()
	if s != nil {
		s.mu.Lock()
		if s.turn != nil {
			s.mu.Unlock()
			return false, &SessionBusyError{SessionID: id}
		}
		s.disk.gone = true
		s.mu.Unlock()
		e.dropSession(id)
	}
	if !e.saved.Exists(id) {
		return s != nil, nil
	}
	unlock, err := e.saved.lock(id)
	if err != nil {
		return false, err
	}
	if unlock == nil {
		return false, &SessionBusyError{SessionID: id}
	}
	defer unlock()
	ok, err := e.saved.remove(id)
	return ok || s != nil, err
}

// record appends a record of another part of the engine to the running
// turn's file: a turn's undo snapshots, say, as a type of its own with its
// body in Data. The loader hands such records back in Stored.Extra.
func (t *turn) record(rec *Record) {
	if rec.TurnID == "" {
		rec.TurnID = t.id
	}
	t.s.disk.file.append(rec)
}

// replaced records that the running turn replaced the whole history (a
// compaction): the file gets the new history as one record, and keep goes
// on from its end.
func (t *turn) replaced(history []Item) {
	t.s.disk.file.append(&Record{Type: RecordHistory, TurnID: t.id, Items: history})
	t.s.disk.kept = len(history)
}

// ResumeSession makes a stored session (or one in memory) ready for a face
// that has its own idea of where and for whom it runs: an ACP client loading
// a session gives its cwd, its client and its permission capability. An
// empty opts.Root keeps the session's workspace. A session with a running
// turn is busy.
func (e *Engine) ResumeSession(id string, opts SessionOptions) error {
	s, _, err := e.session(id)
	if err != nil {
		return err
	}
	root := ""
	if opts.Root != "" {
		env, err := e.home.NewEnv(opts.Root)
		if err != nil {
			return &InvalidParamsError{Field: "workspaceRoot", Problem: "is not a usable directory (" + err.Error() + ")"}
		}
		root = env.Root
	}
	if err := e.resumeMCP(s, opts.MCPServers); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.turn != nil {
		return &SessionBusyError{SessionID: id}
	}
	if root != "" && root != s.root {
		s.root = root
		// "Allow always" was given for the tools in that workspace: a
		// bash allowed in one project must not run unasked in another.
		clear(s.always)
	}
	s.permissions, s.client = opts.Permissions, opts.Client
	return nil
}

// KeepSettings stores the model and effort a session chose, so that a
// later process that loads it uses them. A session with nothing on disk
// yet has them stored with its first turn; a session whose turn is running
// is busy (that turn's record is written already, the next one stores
// them).
func (e *Engine) KeepSettings(id, model, effort string) error {
	s, _, err := e.session(id)
	if err != nil {
		return err
	}
	if _, err := s.begin(newID("settings"), func() {}); err != nil {
		return err
	}
	defer s.end()
	s.choose(model, effort)
	s.appendClaimed(&Record{Type: RecordSettings, At: now(), Model: model, Effort: effort})
	return nil
}

// notSaved tells the editor that the session could not be written (a full
// disk): it goes on in memory, and its next turn writes it again.
func (t *turn) notSaved(err error) {
	t.emit(TurnEvent{Kind: EventNotSaved, Error: fmt.Sprintf("the session could not be saved (%v): it is kept in memory and saved again at its next turn; free some space", err)})
}
