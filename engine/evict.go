package engine

import (
	"sort"
	"time"

	"go.uber.org/zap"
)

// Memory bounds: a session's history is what the next request sends, so it
// stays in memory while the session is in use; an idle one is unloaded and
// read back from its file when it is used again.
const (
	// DefaultSessionIdle is how long a session may sit without a turn
	// before its history is unloaded.
	DefaultSessionIdle = 10 * time.Minute
	// DefaultMaxLoaded is how many sessions may hold their history in
	// memory at once; the least recently used are unloaded first.
	DefaultMaxLoaded = 64
)

// loaded says whether the session holds its history in memory. The caller
// holds s.mu.
func (s *Session) loaded() bool { return s.disk.size >= 0 }

// unload frees an idle session's history; the next turn reads it from the
// file again. A session whose file failed, or that has none yet, has
// nothing to be read back from and stays. The caller holds s.mu.
func (s *Session) unload() bool {
	d := &s.disk
	if s.turn != nil || d.off || d.size <= 0 || d.store == nil {
		return false
	}
	s.history, d.size = nil, -1
	return true
}

// evict unloads the histories of sessions idle for longer than
// Config.SessionIdle, and of the least recently used beyond
// Config.MaxLoaded. A session keeps its id, workspace and grants, which take
// a few hundred bytes; a session without grants is dropped whole.
func (e *Engine) evict() {
	e.mu.Lock()
	all := make([]*Session, 0, len(e.sessions))
	for _, s := range e.sessions {
		all = append(all, s)
	}
	e.mu.Unlock()
	type idle struct {
		s    *Session
		used time.Time
	}
	var candidates []idle
	inMemory := 0 // histories held, running turns' included
	for _, s := range all {
		s.mu.Lock()
		if s.loaded() && len(s.history) > 0 {
			inMemory++
		}
		if s.loaded() && s.turn == nil && s.disk.size > 0 && s.execs.Len() == 0 { // commands running: kept
			candidates = append(candidates, idle{s, s.used})
		}
		s.mu.Unlock()
	}
	sort.Slice(candidates, func(i, j int) bool { return candidates[i].used.Before(candidates[j].used) })
	cutoff := time.Now().Add(-e.cfg.SessionIdle)
	for _, c := range candidates {
		if inMemory <= e.cfg.MaxLoaded && c.used.After(cutoff) {
			break
		}
		if e.unloadSession(c.s) {
			inMemory--
		}
	}
}

func (e *Engine) unloadSession(s *Session) bool {
	s.mu.Lock()
	ok := s.unload()
	drop := ok && len(s.always) == 0
	s.mu.Unlock()
	if !ok {
		return false
	}
	e.stopMCP(s.ID) // an idle session's servers start again when it is used
	if drop {
		e.mu.Lock()
		if e.sessions[s.ID] == s {
			delete(e.sessions, s.ID)
		}
		e.mu.Unlock()
	}
	e.log.Debug("session unloaded", zap.String("session", s.ID), zap.Bool("dropped", drop))
	return true
}

// CloseSession frees a session from memory: it stays on disk, and a later
// chat on it reads it back. False when it was not in memory. A session with
// a running turn is busy.
func (e *Engine) CloseSession(id string) (bool, error) {
	e.mu.Lock()
	s := e.sessions[id]
	e.mu.Unlock()
	if s == nil {
		if e.saved.Exists(id) {
			return false, nil
		}
		return false, &UnknownSessionError{SessionID: id}
	}
	s.mu.Lock()
	if s.turn != nil {
		s.mu.Unlock()
		return false, &SessionBusyError{SessionID: id}
	}
	s.mu.Unlock()
	e.mu.Lock()
	if e.sessions[id] == s {
		delete(e.sessions, id)
	}
	e.mu.Unlock()
	e.forgetMCP(id)
	s.execs.Close() // its commands end with it
	return true, nil
}
