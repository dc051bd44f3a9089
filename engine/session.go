package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/deckhand-dev/deckhand/tools"
)

// Session is one conversation: its workspace, its history and at most one
// running turn. Each session has its own root and permission capability, so
// two faces (or two ACP sessions with their own cwd) can share one engine.
type Session struct {
	ID string

	root        string // the workspace every tool of the session is confined to
	permissions bool   // the client can answer permission requests
	client      Client // nil: the engine's attached client
	ledger      *tools.Ledger
	execs       *tools.Execs // commands of exec_command still running
	home        *tools.Home  // deckhand's home as the tools know it (the engine's)

	mu      sync.Mutex
	history []Item
	turn    *runningTurn
	always  map[string]bool // tools the user allowed for the rest of the session
	disk    diskState       // the session's file
	used    time.Time       // when a turn last ended, or the session was loaded
	undo    undoLog         // what each turn's write and edit calls replaced
	meter   contextMeter    // how large the history is upstream
	// instructions is what the session loaded of AGENTS.md files.
	instructions instructionState
	// model and effort are the choices of the session's last turn, for the
	// next one that names none ("" for the defaults).
	model, effort string
	// undoNotes are what undos did since the last turn, for the next one
	// to tell the model.
	undoNotes []string
	// dangling is the message of the last turn when it ended with nothing
	// after it, for a retry to replace (retry.go).
	dangling dangling
}

// choices returns the model and effort the session's last turn chose.
func (s *Session) choices() (model, effort string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.model, s.effort
}

// choose keeps the model and effort a turn chose for the turns after it.
func (s *Session) choose(model, effort string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.model, s.effort = model, effort
}

// SessionOptions fix what a new session works in.
type SessionOptions struct {
	// Root is the workspace root, absolute; tools are confined to it.
	Root string
	// Permissions says whether the client can answer permission requests;
	// without it mutating tools run only with Config.AllowAll.
	Permissions bool
	// Client receives the session's events; nil means the client given to
	// Attach.
	Client Client
	// MCPServers are the MCP servers the editor passes for this session
	// (ACP's session/new); nil uses those of SetMCPServers.
	MCPServers []MCPServer
}

type runningTurn struct {
	id     string
	cancel context.CancelFunc
}

func (s *Session) cancelTurn() bool {
	s.mu.Lock()
	if s.turn == nil {
		s.mu.Unlock()
		return false
	}
	s.turn.cancel()
	s.mu.Unlock()
	// A cancel stops the session's commands too, those an earlier call
	// left running included, with what they started.
	s.execs.KillAll()
	return true
}

// ChatRequest starts or continues a session with a user message.
type ChatRequest struct {
	SessionID string // "" starts a new session in the attached workspace
	Message   string
	Model     string // "" is the default of the login's branch
	Effort    string // "low" | "medium" | "high" | ""
	// Attachments go to the model with the message (1.1).
	Attachments []Attachment
	// ApprovalPolicy and Sandbox (1.2) set this turn's approval policy and
	// sandbox mode; "" keeps the engine's (SetApprovals).
	ApprovalPolicy, Sandbox string
	// RetryOf names the turn this message replaces, when that turn ended
	// before the model said anything (retry.go); "" replaces it only when
	// the message is the same.
	RetryOf string
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
	// StopMaxTokens: the model's answer hit its output token limit
	// (response.incomplete, max_output_tokens); the text so far is kept.
	StopMaxTokens StopReason = "max_tokens"
	// StopRefusal: the model refused (a refusal content part), or its
	// answer was cut by the content filter.
	StopRefusal StopReason = "refusal"
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

// NewSession starts an empty session with its own workspace root and
// permission capability, and returns its id.
func (e *Engine) NewSession(opts SessionOptions) (string, error) {
	env, err := e.home.NewEnv(opts.Root)
	if err != nil {
		return "", &InvalidParamsError{Field: "workspaceRoot", Problem: "is not a usable directory (" + err.Error() + ")"}
	}
	s := e.newSession(newID("ses"), env.Root, opts.Permissions, opts.Client)
	if opts.MCPServers != nil {
		if err := e.setSessionMCP(s.ID, opts.MCPServers); err != nil {
			return "", err
		}
	}
	e.mu.Lock()
	e.sessions[s.ID] = s
	e.mu.Unlock()
	return s.ID, nil
}

func (e *Engine) newSession(id, root string, permissions bool, c Client) *Session {
	return &Session{ID: id, root: root, permissions: permissions, client: c, home: e.home,
		ledger: tools.NewLedger(), execs: tools.NewExecs(), always: map[string]bool{}, disk: diskState{store: e.saved, log: e.log}, used: time.Now()}
}

// HasSession says whether id names a session of this engine, in memory or
// stored.
func (e *Engine) HasSession(id string) bool {
	e.mu.Lock()
	_, ok := e.sessions[id]
	e.mu.Unlock()
	return ok || e.saved.Exists(id)
}

// CheckChat validates a chat request before anything runs.
func (e *Engine) CheckChat(req ChatRequest) error {
	if strings.TrimSpace(req.Message) == "" {
		return &InvalidParamsError{Field: "message", Problem: "is blank"}
	}
	if len(req.Message) > maxMessageBytes {
		return &InvalidParamsError{Field: "message", Problem: fmt.Sprintf(
			"is %d KiB, over the %d KiB a message may be: put large content in a file in the workspace and ask the model to read it",
			len(req.Message)>>10, maxMessageBytes>>10)}
	}
	switch req.Effort {
	case "", "low", "medium", "high":
	default:
		return &InvalidParamsError{Field: "reasoningEffort", Problem: "must be low, medium or high"}
	}
	if err := checkApprovals(req); err != nil {
		return err
	}
	if req.SessionID != "" && !e.HasSession(req.SessionID) {
		return &UnknownSessionError{SessionID: req.SessionID}
	}
	return nil
}

// session finds or makes the session of a request; created says it is new.
// A new one works in the attached workspace with the attached capability.
// A stored session not in memory is read from its file.
func (e *Engine) session(id string) (s *Session, created bool, err error) {
	e.mu.Lock()
	if id == "" {
		defer e.mu.Unlock()
		if e.root == "" {
			return nil, false, ErrNotAttached
		}
		s := e.newSession(newID("ses"), e.root, e.permissions, nil)
		e.sessions[s.ID] = s
		return s, true, nil
	}
	s, ok := e.sessions[id]
	e.mu.Unlock()
	if ok {
		return s, false, nil
	}
	s, err = e.resume(id)
	return s, false, err
}

func (e *Engine) dropSession(id string) {
	e.mu.Lock()
	s := e.sessions[id]
	delete(e.sessions, id)
	e.mu.Unlock()
	if s != nil {
		s.execs.Close()
	}
	e.forgetMCP(id)
}

// CancelSession cancels the running turn of a session; false when none runs
// (in this process: a turn of another process is not this one's to cancel).
func (e *Engine) CancelSession(id string) (bool, error) {
	e.mu.Lock()
	s, ok := e.sessions[id]
	e.mu.Unlock()
	if !ok {
		if e.saved.Exists(id) {
			return false, nil
		}
		return false, &UnknownSessionError{SessionID: id}
	}
	return s.cancelTurn(), nil
}

// begin claims the session for a new turn, under the session's lock: in
// this process, then across processes through the session's lock file.
func (s *Session) begin(turnID string, cancel context.CancelFunc) (*runningTurn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.turn != nil {
		return nil, &SessionBusyError{SessionID: s.ID}
	}
	if err := s.claimFile(); err != nil {
		return nil, err
	}
	s.turn = &runningTurn{id: turnID, cancel: cancel}
	return s.turn, nil
}

func (s *Session) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseFile()
	s.turn = nil
	s.used = time.Now()
}

func (s *Session) snapshotHistory() []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Item(nil), s.history...)
}

func (s *Session) setHistory(h []Item) {
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

// clientOf is who hears a session's events.
func (e *Engine) clientOf(s *Session) Client {
	if s.client != nil {
		return s.client
	}
	return e.currentClient()
}
