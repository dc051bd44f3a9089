package mcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Server states, as mcp/list reports them.
const (
	StateStarting = "starting"
	StateReady    = "ready"
	StateFailed   = "failed"
)

// Defaults of Options.
const (
	DefaultStartTimeout = 10 * time.Second
	DefaultToolTimeout  = 2 * time.Minute
)

// Options are what a Set is built with. Every field may be left zero.
type Options struct {
	ClientName, ClientVersion string
	StartTimeout              time.Duration // one server's start (DefaultStartTimeout)
	ToolTimeout               time.Duration // one call (DefaultToolTimeout)
	// Contain runs before a stdio server's command starts: it puts the
	// process where it dies with deckhand. release, called once the server
	// is closed, kills whatever it left behind.
	Contain func(cmd *exec.Cmd) (release func(), err error)
	// Stderr is where a stdio server's standard error goes (nil: dropped).
	// It must never be deckhand's stdout.
	Stderr func(server string) io.Writer
	// OnStatus hears every change of a server's status.
	OnStatus func(Status)
	// Environ is the environment a stdio server starts from, before its own
	// env (nil: deckhand's, less its own credentials).
	Environ []string
	// Getenv reads the variable a server's BearerTokenEnv names (nil: os.Getenv).
	Getenv func(string) string
	// HTTPClient carries HTTP servers' requests (nil: a client of its own).
	HTTPClient *http.Client
}

// Status is what mcp/list says of a server.
type Status struct {
	Name      string
	Source    string
	Transport string
	State     string
	Error     string
	Tools     []string // the model's names of its tools, sorted
}

// Tool is one tool of a server as the model sees it.
type Tool struct {
	Name        string // mcp__<server>__<tool>, unique in the Set
	Server      string
	Tool        string // the server's own name of it
	Description string
	Schema      map[string]any
}

// Set is the MCP servers of one session. Start starts them all at once;
// Close stops them. Its methods may be called concurrently.
type Set struct {
	opts    Options
	servers []*server // sorted by name

	startOnce sync.Once
	started   chan struct{}

	mu     sync.Mutex
	closed bool
	tools  []Tool // every ready server's tools, by server then tool
}

// server is one server of a Set.
type server struct {
	cfg Server

	// Guarded by the Set's mu.
	state   string
	err     string
	session *sdk.ClientSession
	tools   []*sdk.Tool
	release func()
	cancel  context.CancelFunc
	closing bool
}

// NewSet makes the Set of these servers; nothing starts until Start.
func NewSet(servers []Server, opts Options) *Set {
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.ToolTimeout <= 0 {
		opts.ToolTimeout = DefaultToolTimeout
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Environ == nil {
		opts.Environ = Environ(os.Environ())
	}
	if opts.ClientName == "" {
		opts.ClientName = "deckhand"
	}
	s := &Set{opts: opts, started: make(chan struct{})}
	for _, cfg := range servers {
		s.servers = append(s.servers, &server{cfg: cfg, state: StateStarting})
	}
	sort.Slice(s.servers, func(i, j int) bool { return s.servers[i].cfg.Name < s.servers[j].cfg.Name })
	return s
}

// Environ is environ less deckhand's own variables and credentials
// (OPENAI_*, DECKHAND_*): a server that needs a key gets it through its env.
func Environ(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		upper := strings.ToUpper(name)
		if strings.HasPrefix(upper, "OPENAI_") || strings.HasPrefix(upper, "DECKHAND_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// Len is the number of servers configured.
func (s *Set) Len() int { return len(s.servers) }

// Start starts every server at once and returns when each is ready or has
// failed (each within its start timeout), or ctx ends. Only the first call
// starts anything; later ones wait for the same start.
func (s *Set) Start(ctx context.Context) {
	s.startOnce.Do(func() {
		var wg sync.WaitGroup
		for _, srv := range s.servers {
			if srv.cfg.Blocked != "" {
				s.fail(srv, srv.cfg.Blocked)
				continue
			}
			s.notify(srv)
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.start(srv)
			}()
		}
		go func() { wg.Wait(); close(s.started) }()
	})
	select {
	case <-s.started:
	case <-ctx.Done():
	}
}

// start connects one server, within its start timeout.
func (s *Set) start(srv *server) {
	defer recoverTo(s, srv)
	life, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		return
	}
	srv.cancel = cancel
	s.mu.Unlock()

	transport, release, err := s.transport(srv.cfg)
	if err != nil {
		s.fail(srv, err.Error())
		return
	}
	s.mu.Lock()
	srv.release = release
	closed := s.closed
	s.mu.Unlock()
	if closed {
		s.stop(srv)
		return
	}
	client := sdk.NewClient(&sdk.Implementation{Name: s.opts.ClientName, Version: s.opts.ClientVersion}, &sdk.ClientOptions{
		ToolListChangedHandler: func(ctx context.Context, _ *sdk.ToolListChangedRequest) {
			go s.refresh(srv)
		},
	})
	timeout := srv.cfg.startTimeout(s.opts.StartTimeout)
	cctx, stop := context.WithTimeout(life, timeout)
	defer stop()
	session, err := client.Connect(cctx, transport, nil)
	if err != nil {
		if errors.Is(cctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("did not answer within %v", timeout)
		}
		s.fail(srv, "cannot start: "+err.Error())
		s.stop(srv)
		return
	}
	s.mu.Lock()
	srv.session = session
	closed = s.closed
	s.mu.Unlock()
	if closed {
		s.stop(srv)
		return
	}
	tools, err := listTools(cctx, session)
	if err != nil {
		s.fail(srv, "cannot list its tools: "+err.Error())
		s.stop(srv)
		return
	}
	s.mu.Lock()
	srv.tools, srv.state, srv.err = tools, StateReady, ""
	s.rebuild()
	s.mu.Unlock()
	s.notify(srv)
	go s.watch(srv, session)
}

// watch reports a server whose connection ends while the Set is open.
func (s *Set) watch(srv *server, session *sdk.ClientSession) {
	defer recoverTo(s, srv)
	err := session.Wait()
	s.mu.Lock()
	closing := srv.closing || s.closed
	s.mu.Unlock()
	if closing {
		return
	}
	msg := "the server stopped"
	if err != nil && !errors.Is(err, sdk.ErrConnectionClosed) {
		msg += ": " + err.Error()
	}
	s.fail(srv, msg)
	s.stop(srv)
}

// refresh reads a server's tools again after it said they changed.
func (s *Set) refresh(srv *server) {
	defer recoverTo(s, srv)
	s.mu.Lock()
	session, ready := srv.session, srv.state == StateReady
	s.mu.Unlock()
	if !ready || session == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), srv.cfg.startTimeout(s.opts.StartTimeout))
	defer cancel()
	tools, err := listTools(ctx, session)
	if err != nil {
		return // a dying server is reported by watch
	}
	s.mu.Lock()
	if srv.state != StateReady {
		s.mu.Unlock()
		return
	}
	srv.tools = tools
	s.rebuild()
	s.mu.Unlock()
	s.notify(srv)
}

func listTools(ctx context.Context, session *sdk.ClientSession) ([]*sdk.Tool, error) {
	if caps := session.InitializeResult().Capabilities; caps == nil || caps.Tools == nil {
		return nil, nil // a server of resources only
	}
	var tools []*sdk.Tool
	for t, err := range session.Tools(ctx, nil) {
		if err != nil {
			return nil, err
		}
		tools = append(tools, t)
	}
	sort.Slice(tools, func(i, j int) bool { return tools[i].Name < tools[j].Name })
	return tools, nil
}

// rebuild recomputes the model's tool list; s.mu is held.
func (s *Set) rebuild() {
	var pairs [][2]string
	var from []*sdk.Tool
	for _, srv := range s.servers {
		if srv.state != StateReady {
			continue
		}
		for _, t := range srv.tools {
			pairs = append(pairs, [2]string{srv.cfg.Name, t.Name})
			from = append(from, t)
		}
	}
	names := uniqueNames(pairs)
	s.tools = make([]Tool, len(pairs))
	for i, p := range pairs {
		s.tools[i] = Tool{Name: names[i], Server: p[0], Tool: p[1], Description: from[i].Description, Schema: schemaOf(from[i].InputSchema)}
	}
}

// schemaOf is a tool's input schema as a JSON object, passed through; a
// missing one is an object of any properties.
func schemaOf(v any) map[string]any {
	if m, ok := v.(map[string]any); ok && m != nil {
		return m
	}
	if v != nil {
		if m, ok := roundTrip(v); ok {
			return m
		}
	}
	return map[string]any{"type": "object", "properties": map[string]any{}}
}

func (s *Set) fail(srv *server, msg string) {
	s.mu.Lock()
	srv.state, srv.err, srv.tools = StateFailed, msg, nil
	s.rebuild()
	s.mu.Unlock()
	s.notify(srv)
}

// stop closes one server's connection and kills what is left of it.
func (s *Set) stop(srv *server) {
	s.mu.Lock()
	srv.closing = true
	session, release, cancel := srv.session, srv.release, srv.cancel
	srv.session, srv.release, srv.cancel = nil, nil, nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if session != nil {
		_ = session.Close()
	}
	if release != nil {
		release()
	}
}

func (s *Set) notify(srv *server) {
	if s.opts.OnStatus == nil {
		return
	}
	s.opts.OnStatus(s.status(srv))
}

func (s *Set) status(srv *server) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Name: srv.cfg.Name, Source: srv.cfg.Source, Transport: srv.cfg.Transport(), State: srv.state, Error: srv.err, Tools: []string{}}
	for _, t := range s.tools {
		if t.Server == srv.cfg.Name {
			st.Tools = append(st.Tools, t.Name)
		}
	}
	return st
}

// Status lists every server's status, by name.
func (s *Set) Status() []Status {
	out := make([]Status, 0, len(s.servers))
	for _, srv := range s.servers {
		out = append(out, s.status(srv))
	}
	return out
}

// Tools lists the ready servers' tools, by server and then tool: the order
// is stable, so that a prompt cache holds.
func (s *Set) Tools() []Tool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Tool(nil), s.tools...)
}

// Lookup finds a tool by the model's name of it.
func (s *Set) Lookup(name string) (Tool, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tools {
		if t.Name == name {
			return t, true
		}
	}
	return Tool{}, false
}

// Close stops every server and kills what they left running. The Set
// cannot start again.
func (s *Set) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, srv := range s.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.stop(srv)
		}()
	}
	wg.Wait()
}

// recoverTo turns a panic in one server's goroutine into that server's
// failure, never a dead deckhand.
func recoverTo(s *Set, srv *server) {
	if p := recover(); p != nil {
		s.fail(srv, fmt.Sprintf("internal error: %v", p))
	}
}
