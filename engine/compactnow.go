package engine

import (
	"context"

	"go.uber.org/zap"
)

// CompactSession compacts a session's history now, between turns (an
// editor's /compact), the way a turn does when the context window fills:
// by trigger, else by a summary. model and effort are the session's ("":
// the defaults). It answers the estimated tokens of the history before and
// after. A session with nothing to compact is invalid params; a running
// turn makes it busy.
func (e *Engine) CompactSession(ctx context.Context, id, model, effort string) (before, after int64, err error) {
	s, _, err := e.session(id)
	if err != nil {
		return 0, 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t := &turn{e: e, s: s, id: newID("turn"), model: model, effort: effort, client: e.clientOf(s),
		approvals: e.approvalsFor(ChatRequest{})}
	if t.running, err = s.begin(t.id, cancel); err != nil {
		return 0, 0, err
	}
	defer s.end()
	history := s.snapshotHistory()
	if len(history) < 2 {
		return 0, 0, &InvalidParamsError{Field: "sessionId", Problem: "names a session with nothing to compact yet"}
	}
	cred, err := e.credential(ctx)
	if err != nil {
		return 0, 0, err
	}
	t.settle(ctx, cred)
	t.window = e.contextWindow(ctx, cred, t.model)
	before = t.contextTokens(history)
	compacted, err := t.compact(ctx, cred, history)
	if err != nil {
		return 0, 0, err
	}
	// The compacted history replaces the stored one, as in a turn.
	d := &s.disk
	if d.store != nil && !d.off && d.unlock != nil && d.size != 0 {
		f, err := d.store.openFile(s.ID, d.size, nil)
		if err != nil {
			e.log.Warn("the session file could not be opened; the compaction is kept in memory only", zap.String("session", s.ID), zap.Error(err))
		} else {
			d.file = f
			t.replaced(compacted)
			if err := f.sync(); err != nil {
				e.log.Warn("session file", zap.String("session", s.ID), zap.Error(err))
			}
		}
	}
	s.meter.reset()
	s.setHistory(compacted)
	after = t.contextTokens(compacted)
	e.log.Info("history compacted on request", zap.String("session", s.ID), zap.Int64("before", before), zap.Int64("after", after))
	return before, after, nil
}

// ClearSession starts a session's conversation over (an editor's /new): the
// model sees none of the earlier turns from the next one on, which begins
// as a new session's first does. The stored turns stay, for a replay. A
// running turn makes it busy.
func (e *Engine) ClearSession(id string) error {
	s, _, err := e.session(id)
	if err != nil {
		return err
	}
	turnID := newID("turn")
	if _, err := s.begin(turnID, func() {}); err != nil {
		return err
	}
	defer s.end()
	d := &s.disk
	if d.store != nil && !d.off && d.unlock != nil && d.size != 0 {
		f, err := d.store.openFile(s.ID, d.size, nil)
		if err != nil {
			return err
		}
		d.file = f
		f.append(&Record{Type: RecordHistory, TurnID: turnID})
		if err := f.sync(); err != nil {
			return err
		}
	}
	s.meter.reset()
	s.setHistory(nil)
	return nil
}
