package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/deckhand-dev/deckhand/tools"
)

// Session is one conversation: its history and at most one running turn.
type Session struct {
	ID     string
	ledger *tools.Ledger

	mu      sync.Mutex
	history []item
	turn    *runningTurn
	always  map[string]bool // tools the user allowed for the rest of the session
	undo    undoLog         // what each turn's write and edit calls replaced
	meter   contextMeter    // how large the history is upstream
	// instructions is what the session loaded of AGENTS.md files.
	instructions instructionState
}

type runningTurn struct {
	id     string
	cancel context.CancelFunc
}

func (s *Session) cancelTurn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.turn == nil {
		return false
	}
	s.turn.cancel()
	return true
}

// ChatRequest starts or continues a session with a user message.
type ChatRequest struct {
	SessionID string // "" starts a new session
	Message   string
	Model     string // "" is the default of the login's branch
	Effort    string // "low" | "medium" | "high" | ""
	// Attachments go to the model with the message (1.1).
	Attachments []Attachment
}

// Usage counts tokens.
type Usage struct {
	InputTokens, OutputTokens int64
	// ContextTokens is the size of the history at the end of the turn and
	// ContextWindow the model's window (both 0 when unknown).
	ContextTokens, ContextWindow int64
}

// StopReason says why a turn ended.
type StopReason string

// Stop reasons.
const (
	StopEndTurn   StopReason = "end_turn"
	StopCancelled StopReason = "cancelled"
	StopMaxSteps  StopReason = "max_steps"
)

// TurnResult is what a turn did.
type TurnResult struct {
	SessionID  string
	TurnID     string
	StopReason StopReason
	Text       string
	Steps      int
	Usage      Usage
}

// HasSession says whether id names a session of this engine.
func (e *Engine) HasSession(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.sessions[id]
	return ok
}

// CheckChat validates a chat request before anything runs.
func (e *Engine) CheckChat(req ChatRequest) error {
	if strings.TrimSpace(req.Message) == "" {
		return fmt.Errorf("%w: message is blank", ErrInvalidParams)
	}
	switch req.Effort {
	case "", "low", "medium", "high":
	default:
		return fmt.Errorf("%w: reasoningEffort must be low, medium or high", ErrInvalidParams)
	}
	if req.SessionID != "" && !e.HasSession(req.SessionID) {
		return unknownSession(req.SessionID)
	}
	return nil
}

// session finds or makes the session of a request; created says it is new.
func (e *Engine) session(id string) (s *Session, created bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if id == "" {
		s := &Session{ID: newID("ses"), ledger: tools.NewLedger(), always: map[string]bool{}}
		e.sessions[s.ID] = s
		return s, true, nil
	}
	s, ok := e.sessions[id]
	if !ok {
		return nil, false, unknownSession(id)
	}
	return s, false, nil
}

func (e *Engine) dropSession(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.sessions, id)
}

// CancelSession cancels the running turn of a session; false when none runs.
func (e *Engine) CancelSession(id string) (bool, error) {
	e.mu.Lock()
	s, ok := e.sessions[id]
	e.mu.Unlock()
	if !ok {
		return false, unknownSession(id)
	}
	return s.cancelTurn(), nil
}

// begin claims the session for a new turn, under the session's lock.
func (s *Session) begin(turnID string, cancel context.CancelFunc) (*runningTurn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.turn != nil {
		return nil, &SessionBusyError{SessionID: s.ID}
	}
	s.turn = &runningTurn{id: turnID, cancel: cancel}
	return s.turn, nil
}

func (s *Session) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.turn = nil
}

func (s *Session) snapshotHistory() []item {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]item(nil), s.history...)
}

func (s *Session) setHistory(h []item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.history = h
}

func (s *Session) allowedAlways(tool string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.always[tool]
}

func (s *Session) allowAlways(tool string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.always[tool] = true
}

func unknownSession(id string) error {
	return fmt.Errorf("%w %q: leave sessionId out to start a new session (sessions end with the process)", ErrUnknownSession, id)
}
