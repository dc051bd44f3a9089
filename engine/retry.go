package engine

// A turn that ended (failed, or was cancelled) before the model produced
// anything leaves the user's message as the last item of the history, with
// nothing after it. Sent again (an editor's Resend, or the user typing the
// same message), that message would reach the model twice. The retry
// replaces the failed attempt instead: its message leaves the history and
// its turn leaves the transcript, and the new turn records whom it replaced
// (the turn record's RetryOf), so that a reloaded session agrees.

// dangling is the message of a session's last turn when that turn ended
// without anything after it: history[at] is the message.
type dangling struct {
	turn    string // the turn's id; "" when there is none
	message string // the message as the user typed it
	at      int
}

// retries says whether a request replaces this dangling turn: by naming it
// (chat's retryOf) or, when it names none, by repeating its message.
func (d dangling) retries(retryOf, message string) bool {
	if d.turn == "" {
		return false
	}
	if retryOf != "" {
		return retryOf == d.turn
	}
	return message == d.message
}

// takeRetry starts a turn's history: when the request retries the
// session's dangling turn, that turn's message leaves the history and its
// id is returned. Any turn ends the session's dangling one. The caller
// holds the session's turn (begin).
func (s *Session) takeRetry(retryOf, message string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dangling
	s.dangling = dangling{}
	if !d.retries(retryOf, message) || d.at != len(s.history)-1 || s.history[d.at].Kind != ItemUser {
		return ""
	}
	s.history = append([]Item(nil), s.history[:d.at]...)
	return d.turn
}

// noteDangling keeps the message of a turn that ended with nothing after
// it, for a retry to replace. history is the session's, as the turn left it.
func (t *turn) noteDangling(history []Item, message string) {
	n := len(history)
	if n == 0 || history[n-1].opens != t.id || t.compactions > 0 {
		return // (a compaction's history record: a loader could not tell it)
	}
	t.s.mu.Lock()
	t.s.dangling = dangling{turn: t.id, message: message, at: n - 1}
	t.s.mu.Unlock()
}

// turnItems follows the items of the turn a loader reads, to tell whether
// it left a dangling message.
type turnItems struct {
	n        int  // items the turn added
	userOnly bool // all of them user items: context, notes, the message
	replaced bool // the turn replaced the history (a compaction)
}

// retryRecord applies a turn record's RetryOf as the engine did: the
// replaced turn's message leaves the history and its turn the transcript;
// its error stays as a note on the new turn, which it returns.
func (b *builder) retryRecord(retryOf string) (note string, ok bool) {
	d := b.s.Dangling
	b.s.Dangling = dangling{}
	if retryOf == "" || d.turn != retryOf || d.at != len(b.s.History)-1 {
		return "", false
	}
	b.s.History = b.s.History[:d.at]
	for i := len(b.s.Turns) - 1; i >= 0; i-- {
		if b.s.Turns[i].TurnID == retryOf {
			note = b.s.Turns[i].Error
			b.s.Turns = append(b.s.Turns[:i], b.s.Turns[i+1:]...)
			break
		}
	}
	return note, true
}

// endDangling notes, at a turn's end record, whether the turn left its
// message dangling.
func (b *builder) endDangling(t *StoredTurn, rec *Record) {
	b.s.Dangling = dangling{}
	if rec.StopReason != StopError && (rec.StopReason != StopCancelled || rec.Text != "") {
		return // a cancelled turn's partial answer stays: the user saw it
	}
	if ti := b.items; ti.n > 0 && ti.userOnly && !ti.replaced && len(b.s.History) > 0 {
		b.s.Dangling = dangling{turn: t.TurnID, message: t.Message, at: len(b.s.History) - 1}
	}
}
