package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/tools/mcp"
)

// MCP servers (PROTOCOL 1.2): each session has its own set, started when its
// first turn needs it (or an editor asks for its list) and stopped when the
// session closes, is unloaded or deleted, and when the engine closes. The
// servers come from DECKHAND_HOME/config.json, the workspace's .mcp.json
// (once the user allowed that file), and the editor (initialize's
// mcpServers, or ACP's session/new).

// MCPServer is one configured MCP server.
type MCPServer = mcp.Server

// MCPStatus is what mcp/list and mcp/status say of a server.
type MCPStatus = mcp.Status

// MCPStateStopped is the state of a server configured for a session that has
// not started its servers yet (an extension of starting, ready and failed).
const MCPStateStopped = "stopped"

// MCP sources, as mcp/list reports them.
const (
	MCPSourceConfig    = "config"
	MCPSourceWorkspace = "workspace"
	MCPSourceClient    = "client"
)

// MCPConfigTool is the tool name of the permission request that allows a
// workspace's .mcp.json.
const MCPConfigTool = "mcp_config"

// MCPStatusClient is a Client that hears every change of a server's status.
type MCPStatusClient interface {
	MCPStatus(sessionID string, st MCPStatus)
}

// mcpHub holds the engine's MCP sets.
type mcpHub struct {
	mu       sync.Mutex
	client   []MCPServer            // initialize's mcpServers
	sessions map[string][]MCPServer // ACP session/new's, by session
	sets     map[string]*mcpSession
	last     string     // the last session of the attached client that started its servers
	approval sync.Mutex // the approvals file
}

// mcpSession is one session's servers.
type mcpSession struct {
	set     *mcp.Set
	trusted map[string]bool
}

// SetMCPServers sets the servers an editor configured for the sessions
// that name none of their own (initialize's mcpServers).
func (e *Engine) SetMCPServers(servers []MCPServer) error {
	for i := range servers {
		servers[i].Source, servers[i].Trusted = MCPSourceClient, false
		if err := servers[i].Check(); err != nil {
			return &InvalidParamsError{Field: "mcpServers", Problem: "has a bad entry: " + err.Error()}
		}
	}
	e.mcp.mu.Lock()
	defer e.mcp.mu.Unlock()
	e.mcp.client = servers
	return nil
}

// setSessionMCP records the servers a session was created with.
func (e *Engine) setSessionMCP(id string, servers []MCPServer) error {
	for i := range servers {
		servers[i].Source, servers[i].Trusted = MCPSourceClient, false
		if err := servers[i].Check(); err != nil {
			return &InvalidParamsError{Field: "mcpServers", Problem: "has a bad entry: " + err.Error()}
		}
	}
	e.mcp.mu.Lock()
	defer e.mcp.mu.Unlock()
	if e.mcp.sessions == nil {
		e.mcp.sessions = map[string][]MCPServer{}
	}
	e.mcp.sessions[id] = servers
	return nil
}

// homeMCP reads DECKHAND_HOME/config.json's servers; the only source whose
// trusted flag counts.
func (e *Engine) homeMCP() []MCPServer {
	path := filepath.Join(e.cfg.Home, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			e.log.Warn("cannot read the MCP servers of config.json", zap.String("path", path), zap.Error(err))
		}
		return nil
	}
	servers, err := mcp.Parse(data, MCPSourceConfig)
	if err != nil {
		e.log.Warn("config.json's MCP servers are not used", zap.String("path", path), zap.Error(err))
		return nil
	}
	return servers
}

// workspaceMCP reads the workspace's .mcp.json: its servers (never trusted),
// its path and the hash that an approval remembers.
func (e *Engine) workspaceMCP(root string) (servers []MCPServer, path, hash string) {
	path = filepath.Join(root, ".mcp.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, path, ""
	}
	servers, err = mcp.Parse(data, MCPSourceWorkspace)
	if err != nil {
		e.log.Warn("the workspace's .mcp.json is not used", zap.String("path", path), zap.Error(err))
		return nil, path, ""
	}
	for i := range servers {
		servers[i].Trusted = false
	}
	sum := sha256.Sum256(data)
	return servers, path, hex.EncodeToString(sum[:])
}

// clientMCP is what the editor configured for a session.
func (e *Engine) clientMCP(id string) []MCPServer {
	e.mcp.mu.Lock()
	defer e.mcp.mu.Unlock()
	if s, ok := e.mcp.sessions[id]; ok {
		return s
	}
	return e.mcp.client
}

// configuredMCP merges a session's sources by name, in PROTOCOL 1.2's order.
func (e *Engine) configuredMCP(s *Session) []MCPServer {
	work, _, _ := e.workspaceMCP(s.root)
	return mcp.Merge(e.homeMCP(), work, e.clientMCP(s.ID))
}

// MCPList reports the MCP servers of a session: those started, with their
// state, or those it would start ("stopped"). No session: the most recent
// session's, or those configured for the attached workspace.
func (e *Engine) MCPList(sessionID string) ([]MCPStatus, error) {
	e.mu.Lock()
	s, root := e.sessions[sessionID], e.root
	e.mu.Unlock()
	if sessionID != "" && s == nil {
		if !e.saved.Exists(sessionID) {
			return nil, &UnknownSessionError{SessionID: sessionID}
		}
	}
	e.mcp.mu.Lock()
	ms := e.mcp.sets[sessionID]
	if sessionID == "" {
		ms = e.mcp.sets[e.mcp.last]
	}
	e.mcp.mu.Unlock()
	if ms != nil {
		return ms.set.Status(), nil
	}
	var servers []MCPServer
	if s != nil {
		servers = e.configuredMCP(s)
	} else if root != "" {
		work, _, _ := e.workspaceMCP(root)
		servers = mcp.Merge(e.homeMCP(), work, e.clientMCP(sessionID))
	}
	out := make([]MCPStatus, 0, len(servers))
	for _, srv := range servers {
		out = append(out, MCPStatus{Name: srv.Name, Source: srv.Source, Transport: srv.Transport(), State: MCPStateStopped, Tools: []string{}})
	}
	return out, nil
}

// startMCP starts the session's servers the first time a turn needs them
// and waits until each is ready or failed. A workspace's .mcp.json is asked
// about first, unless the user allowed this very file before.
func (t *turn) startMCP(ctx context.Context) *mcpSession {
	e, s := t.e, t.s
	e.mcp.mu.Lock()
	ms := e.mcp.sets[s.ID]
	e.mcp.mu.Unlock()
	if ms == nil {
		work, path, hash := e.workspaceMCP(s.root)
		if len(work) > 0 && !e.mcpApproved(s.root, hash) {
			if msg, ok := t.askMCPConfig(ctx, path, hash, work); !ok {
				for i := range work {
					work[i].Blocked = msg
				}
			}
		}
		servers := mcp.Merge(e.homeMCP(), work, e.clientMCP(s.ID))
		if len(servers) == 0 {
			return nil
		}
		ms = &mcpSession{trusted: map[string]bool{}, set: e.newMCPSet(s, servers)}
		for _, srv := range servers {
			if srv.Trusted && srv.Source == MCPSourceConfig {
				ms.trusted[srv.Name] = true
			}
		}
		e.mcp.mu.Lock()
		if e.ctx.Err() != nil { // the engine is closing
			e.mcp.mu.Unlock()
			return nil
		}
		if old := e.mcp.sets[s.ID]; old != nil {
			e.mcp.mu.Unlock()
			ms.set.Close()
			ms = old
		} else {
			if e.mcp.sets == nil {
				e.mcp.sets = map[string]*mcpSession{}
			}
			e.mcp.sets[s.ID] = ms
			if s.client == nil {
				e.mcp.last = s.ID
			}
			e.mcp.mu.Unlock()
		}
	}
	ms.set.Start(ctx)
	return ms
}

// mcpOf is the session's started servers, nil when none.
func (t *turn) mcpOf() *mcpSession {
	t.e.mcp.mu.Lock()
	defer t.e.mcp.mu.Unlock()
	return t.e.mcp.sets[t.s.ID]
}

// newMCPSet builds the set of a session: its processes in a group that dies
// with deckhand, their stderr to the log, their changes to the editor.
func (e *Engine) newMCPSet(s *Session, servers []MCPServer) *mcp.Set {
	id := s.ID
	servers = inRoot(servers, s.root)
	return mcp.NewSet(servers, mcp.Options{
		ClientName: "deckhand", ClientVersion: e.cfg.Version,
		Contain: tools.Contain,
		Stderr:  func(server string) io.Writer { return newLineLog(e.log, server) },
		OnStatus: func(st mcp.Status) {
			if st.State == mcp.StateFailed {
				e.log.Warn("MCP server failed", zap.String("session", id), zap.String("server", st.Name), zap.String("error", st.Error))
			} else {
				e.log.Info("MCP server", zap.String("session", id), zap.String("server", st.Name), zap.String("state", st.State), zap.Int("tools", len(st.Tools)))
			}
			if c, ok := e.clientOf(s).(MCPStatusClient); ok {
				c.MCPStatus(id, st)
			}
		},
	})
}

// stopMCP stops a session's servers, if it has any.
func (e *Engine) stopMCP(id string) {
	e.mcp.mu.Lock()
	ms := e.mcp.sets[id]
	delete(e.mcp.sets, id)
	e.mcp.mu.Unlock()
	if ms != nil {
		ms.set.Close()
	}
}

// closeMCP stops every session's servers.
func (e *Engine) closeMCP() {
	e.mcp.mu.Lock()
	sets := e.mcp.sets
	e.mcp.sets = nil
	e.mcp.mu.Unlock()
	var wg sync.WaitGroup
	for _, ms := range sets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ms.set.Close()
		}()
	}
	wg.Wait()
}

// mcpApprovals is the file that remembers, per workspace, the hash of the
// .mcp.json the user allowed.
func (e *Engine) mcpApprovals() string { return filepath.Join(e.cfg.Home, "mcp-approvals.json") }

func (e *Engine) mcpApproved(root, hash string) bool {
	e.mcp.approval.Lock()
	defer e.mcp.approval.Unlock()
	data, err := os.ReadFile(e.mcpApprovals())
	if err != nil {
		return false
	}
	var m map[string]string
	return json.Unmarshal(data, &m) == nil && hash != "" && m[root] == hash
}

func (e *Engine) approveMCP(root, hash string) {
	e.mcp.approval.Lock()
	defer e.mcp.approval.Unlock()
	path := e.mcpApprovals()
	m := map[string]string{}
	if data, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(data, &m)
	}
	m[root] = hash
	data, _ := json.MarshalIndent(m, "", "  ")
	tmp := path + ".tmp"
	if err := os.MkdirAll(e.cfg.Home, 0o700); err == nil {
		if err = os.WriteFile(tmp, data, 0o600); err == nil {
			err = os.Rename(tmp, path)
		}
		if err == nil {
			return
		}
	}
	e.log.Warn("cannot remember that the workspace's .mcp.json was allowed", zap.String("path", path))
}

// askMCPConfig asks the user whether the workspace's .mcp.json may start
// its servers. The message says why not when they may not.
func (t *turn) askMCPConfig(ctx context.Context, path, hash string, servers []MCPServer) (string, bool) {
	if run, canAsk := t.unasked(""); run {
		t.e.approveMCP(t.s.root, hash)
		return "", true
	} else if !canAsk {
		return "not started: the workspace's .mcp.json must be allowed first, and this editor cannot ask", false
	}
	names := make([]string, 0, len(servers))
	for _, s := range servers {
		names = append(names, s.Name)
	}
	args, _ := json.Marshal(map[string]any{"path": path, "servers": names})
	if _, ok := t.ask(ctx, "", PermissionRequest{
		SessionID: t.s.ID, TurnID: t.id, CallID: newID("mcpconfig"), Tool: MCPConfigTool,
		Arguments:   args,
		Description: "Start the MCP servers that the workspace's .mcp.json configures",
		Preview:     &Preview{Path: path, MCPServers: servers},
	}); !ok {
		return "not started: the workspace's .mcp.json was not allowed", false
	}
	t.e.approveMCP(t.s.root, hash)
	return "", true
}

// lineLog writes an MCP server's standard error to the log, a line at a
// time, each cut to lineLogMax bytes, and at most lineLogLines lines: a
// server that floods its stderr cannot flood the log.
type lineLog struct {
	mu      sync.Mutex
	log     *zap.Logger
	server  string
	partial []byte
	lines   int
}

const (
	lineLogMax   = 1024
	lineLogLines = 1000
)

func newLineLog(log *zap.Logger, server string) *lineLog {
	return &lineLog{log: log, server: server}
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range p {
		if b != '\n' {
			if len(l.partial) < lineLogMax {
				l.partial = append(l.partial, b)
			}
			continue
		}
		l.flush()
	}
	return len(p), nil
}

// flush logs the line so far; l.mu is held.
func (l *lineLog) flush() {
	line := string(l.partial)
	l.partial = l.partial[:0]
	l.lines++
	switch {
	case l.lines < lineLogLines:
		l.log.Info("MCP server stderr", zap.String("server", l.server), zap.String("line", line))
	case l.lines == lineLogLines:
		l.log.Warn("MCP server writes too much to stderr: the rest is not logged", zap.String("server", l.server))
	}
}

// resumeMCP gives a resumed session the servers its new client passes
// (ACP's session/load): the servers it ran are stopped, and the new ones
// start with its next turn. nil keeps what the session had.
func (e *Engine) resumeMCP(s *Session, servers []MCPServer) error {
	if servers == nil {
		return nil
	}
	s.mu.Lock()
	busy := s.turn != nil
	s.mu.Unlock()
	if busy {
		return &SessionBusyError{SessionID: s.ID}
	}
	if err := e.setSessionMCP(s.ID, servers); err != nil {
		return err
	}
	e.stopMCP(s.ID)
	return nil
}

// forgetMCP stops a session's servers and forgets those its client passed:
// the session is gone from memory (deleted or closed).
func (e *Engine) forgetMCP(id string) {
	e.stopMCP(id)
	e.mcp.mu.Lock()
	delete(e.mcp.sessions, id)
	e.mcp.mu.Unlock()
}

// inRoot runs stdio servers in the workspace root unless they name a cwd;
// a relative cwd is taken from the root.
func inRoot(servers []MCPServer, root string) []MCPServer {
	out := make([]MCPServer, len(servers))
	for i, s := range servers {
		if s.Transport() == mcp.TransportStdio {
			switch {
			case s.Cwd == "":
				s.Cwd = root
			case !filepath.IsAbs(s.Cwd):
				s.Cwd = filepath.Join(root, s.Cwd)
			}
		}
		out[i] = s
	}
	return out
}
