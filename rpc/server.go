package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/jsonrpc"
	"github.com/deckhand-dev/deckhand/protocol"
)

// ServerConfig is what a Server is built from.
type ServerConfig struct {
	Engine  *engine.Engine
	Version string
	WorkDir string // the workspace root when initialize names none
	Log     *zap.Logger
	// Initialized, when set, runs once initialize's answer is out: what
	// the process put off so as to answer sooner (cmd's signal handling).
	Initialized func()
}

// Server is deckhand's JSON-RPC face: it serves the protocol's methods on one
// connection and translates between the wire types and the engine.
type Server struct {
	cfg  ServerConfig
	log  *zap.Logger
	conn *Conn

	mu          sync.Mutex
	initialized bool
	root        string // the workspace initialize fixed
	shutdown    bool
	exitCode    int
	exited      bool
}

// NewServer builds a server; Run serves it.
func NewServer(cfg ServerConfig) *Server {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	return &Server{cfg: cfg, log: cfg.Log}
}

// Run serves one connection until the client sends exit or closes its end,
// and returns the process's exit status: 0 on EOF or on exit after shutdown,
// 1 on exit without shutdown.
func (s *Server) Run(ctx context.Context, in io.Reader, out io.Writer) int {
	s.conn = jsonrpc.NewConn(jsonrpc.NewStream(in, out, jsonrpc.MaxFrame), s.log)
	s.conn.SetGate(s.gate)
	s.register()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := s.conn.Serve(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("connection ended with an error", zap.Error(err))
	}
	s.cfg.Engine.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exited {
		return s.exitCode
	}
	return 0
}

// request registers a method whose params decode into P.
func request[P any](s *Server, method string, needParams bool, h func(ctx context.Context, p P) (any, error)) {
	s.conn.Handle(method, handler(s, needParams, h))
}

// inlineRequest registers a quick method whose effect the requests after it
// must see (initialize, shutdown): it runs on the read loop.
func inlineRequest[P any](s *Server, method string, h func(ctx context.Context, p P) (any, error)) {
	s.conn.HandleInline(method, handler(s, false, h))
}

func handler[P any](s *Server, needParams bool, h func(ctx context.Context, p P) (any, error)) HandlerFunc {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var p P
		if err := decode(raw, &p, needParams); err != nil {
			return nil, err
		}
		res, err := h(ctx, p)
		if err != nil {
			return nil, s.wireError(err)
		}
		return res, nil
	}
}

// gate answers -32002 before initialize and -32600 after shutdown. The
// Conn runs it in arrival order, so a request sent right behind initialize
// is served.
func (s *Server) gate(method string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case method == protocol.MethodInitialize:
		if s.initialized {
			return &Error{Code: jsonrpc.CodeInvalidRequest, Message: "initialize was already called on this connection."}
		}
	case !s.initialized:
		return &Error{Code: protocol.CodeServerNotInitialized, Message: fmt.Sprintf("Call initialize before %s.", method)}
	case s.shutdown:
		return &Error{Code: jsonrpc.CodeInvalidRequest, Message: "The server is shutting down: send exit."}
	}
	return nil
}

// decode reads params strictly by type; absent params are an empty object
// unless the method needs some.
func decode(raw json.RawMessage, v any, need bool) error {
	if len(raw) == 0 || string(raw) == "null" {
		if need {
			return invalidParams("params are required")
		}
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return invalidParams("params do not match the method: " + plainJSONError(err))
	}
	return nil
}

// plainJSONError says what is wrong with params in the protocol's words,
// not Go's.
func plainJSONError(err error) string {
	if msg, ok := jsonrpc.ParamsProblem(err); ok {
		return msg
	}
	return "params cannot be read"
}

func invalidParams(msg string) *Error {
	return &Error{Code: jsonrpc.CodeInvalidParams, Message: "Invalid params: " + msg + "."}
}

func (s *Server) initialize(ctx context.Context, p protocol.InitializeParams) (any, error) {
	root := p.WorkspaceRoot
	if root == "" {
		root = s.cfg.WorkDir
	}
	if !filepath.IsAbs(root) {
		return nil, invalidParams(fmt.Sprintf("workspaceRoot %q must be an absolute path", root))
	}
	perms := p.Capabilities != nil && p.Capabilities.Permissions
	if err := s.cfg.Engine.SetApprovals(p.ApprovalPolicy, p.Sandbox); err != nil {
		return nil, err
	}
	if err := s.cfg.Engine.SetMCPServers(mcpServers(p.MCPServers)); err != nil {
		return nil, err
	}
	diag := p.Capabilities != nil && p.Capabilities.Diagnostics
	root, err := s.cfg.Engine.Attach(&client{conn: s.conn, log: s.log, diagnostics: diag}, root, perms)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.initialized = true
	s.root = root
	s.mu.Unlock()
	name := ""
	if p.ClientInfo != nil {
		name = p.ClientInfo.Name
	}
	s.log.Info("initialized", zap.String("client", name), zap.String("root", root), zap.Bool("permissions", perms))
	if s.cfg.Initialized != nil {
		jsonrpc.AfterReply(ctx, s.cfg.Initialized)
	}
	return protocol.InitializeResult{
		ServerInfo:      protocol.ServerInfo{Name: "deckhand", Version: s.cfg.Version},
		ProtocolVersion: protocol.Version,
		Auth:            authStatus(s.cfg.Engine.Status()),
		WorkspaceRoot:   root,
		Capabilities:    withSandbox(serverCapabilities(), s.cfg.Engine.SandboxStatus()),
		Instructions:    s.cfg.Engine.InstructionFiles(),
	}, nil
}

func (s *Server) register() {
	inlineRequest(s, protocol.MethodInitialize, s.initialize)
	inlineRequest(s, protocol.MethodShutdown, func(ctx context.Context, _ struct{}) (any, error) {
		s.mu.Lock()
		s.shutdown = true
		s.mu.Unlock()
		return nil, nil
	})
	s.conn.HandleNotification(protocol.MethodExit, func(ctx context.Context, _ json.RawMessage) {
		s.mu.Lock()
		s.exited = true
		s.exitCode = 1
		if s.shutdown {
			s.exitCode = 0
		}
		s.mu.Unlock()
		s.conn.Finish() // what is queued, the shutdown answer among it, is still written
	})
	s.registerAuth()
	s.registerChat()
	s.registerSessions()
	s.registerContext()
	s.registerMCP()
}
