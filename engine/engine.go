package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/auth"
	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/tools/sandbox"
)

// Config is everything the engine is built from. Zero durations take the
// defaults named beside them.
type Config struct {
	Version string // deckhand's version, for User-Agent
	// WireVersion is the Codex wire version sent to the ChatGPT backend
	// ("" = WireVersion): client_version, `version` and User-Agent.
	WireVersion string
	// LiveWebSearch lets the hosted web_search reach the web; by default
	// it answers from the service's cache (external_web_access false).
	LiveWebSearch bool
	Home          string        // holds auth.json
	SessionsDir   string        // session files (Home/sessions)
	Issuer        string        // OAuth issuer
	CodexBaseURL  string        // ChatGPT OAuth branch: <base>/responses
	APIBaseURL    string        // API-key branch: <base>/responses
	EnvAPIKey     string        // OPENAI_API_KEY, used when nothing is stored
	OAuthPort     int           // browser-flow callback port (1455 falls back to 1457)
	AllowAll      bool          // mutating tools run without a permission prompt
	MaxSteps      int           // model steps per turn (50)
	SessionIdle   time.Duration // an idle session's history is unloaded after this (DefaultSessionIdle)
	MaxLoaded     int           // sessions holding their history in memory (DefaultMaxLoaded)
	// Originator is the `originator` header on the model hosts ("" =
	// Originator); OAuthOriginator the one the OAuth issuer sees in the
	// authorize URL and on token requests ("" = auth.DefaultOriginator,
	// the value allow-listed for the client id).
	Originator      string
	OAuthOriginator string
	// Organization and Project go out as OpenAI-Organization and
	// OpenAI-Project on the API-key branch only.
	Organization, Project string

	BrowserTimeout time.Duration // browser login (10 min)
	DeviceTimeout  time.Duration // device-code login (15 min)
	IdleTimeout    time.Duration // a stream with no event for this long is cut (5 min)
	RetryBase      time.Duration // first retry delay of a failed step (500 ms)
	Tries          int           // attempts of a failing step (3)

	// RefreshDelegate, when set, runs each login refresh in a process of
	// its own (see auth.TokenSource.Delegate); nil refreshes in this one.
	RefreshDelegate func(ctx context.Context, reason, stale string) error
	// OpenBrowser opens a URL in the user's browser; nil opens nothing. It
	// returns once the browser is started, never waiting for it to close.
	OpenBrowser func(url string) error
	HTTPClient  *http.Client
	Log         *zap.Logger

	// Sandbox is the OS sandbox commands run in (sandbox.Detect); the zero
	// value is none, and then every command asks. ApprovalPolicy and
	// SandboxMode are the defaults of turns that name none ("" is
	// on-request and workspace-write).
	Sandbox                     sandbox.Sandbox
	ApprovalPolicy, SandboxMode string

	// UserHome is the user's home folder ($HOME) and DataHome
	// $XDG_DATA_HOME when set: the tools keep deckhand's default homes
	// below them private, and ask before reaching other programs'
	// credential stores below them (tools.Home). "" guards none there.
	UserHome, DataHome string

	// DiagnosticsWait bounds the editor's answer to one diagnostics
	// request (DefaultDiagnosticsWait).
	DiagnosticsWait time.Duration
}

func (c *Config) defaults() {
	if c.SessionIdle <= 0 {
		c.SessionIdle = DefaultSessionIdle
	}
	if c.MaxLoaded <= 0 {
		c.MaxLoaded = DefaultMaxLoaded
	}
	if c.SessionsDir == "" {
		c.SessionsDir = filepath.Join(c.Home, "sessions")
	}
	if c.MaxSteps <= 0 {
		c.MaxSteps = 50
	}
	if c.BrowserTimeout <= 0 {
		c.BrowserTimeout = 10 * time.Minute
	}
	if c.DeviceTimeout <= 0 {
		c.DeviceTimeout = 15 * time.Minute
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 5 * time.Minute
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 500 * time.Millisecond
	}
	if c.Tries <= 0 {
		c.Tries = 3
	}
	if c.HTTPClient == nil {
		// No overall timeout: it would cut long streams. The idle watchdog
		// and contexts bound every request instead.
		c.HTTPClient = &http.Client{}
	}
	if c.Log == nil {
		c.Log = zap.NewNop()
	}
	if c.Originator == "" {
		c.Originator = Originator
	}
	if c.OAuthOriginator == "" {
		c.OAuthOriginator = auth.DefaultOriginator
	}
}

// Engine is deckhand's core; one serves one client.
type Engine struct {
	slotsOnce sync.Once
	slots     chan struct{} // read-only tool calls running (steplimits.go)

	cfg    Config
	log    *zap.Logger
	store  *auth.Store
	saved  *Store // sessions on disk
	issuer *auth.Client
	tokens *auth.TokenSource
	tools  []tools.Tool
	home   *tools.Home // deckhand's home as the tools know it; it owns their sweeps

	ctx     context.Context // the engine's life
	cancel  context.CancelFunc
	wg      sync.WaitGroup // login flows
	running sync.WaitGroup // tool calls, some maybe left behind by a cancel

	mu          sync.Mutex
	client      Client
	root        string // for sessions started without options
	permissions bool   // for sessions started without options
	flows       map[string]*flow
	sessions    map[string]*Session
	corrupt     string            // why the stored login was lost, until the next login
	defaults    map[string]string // default model by credential type, from models
	catalogs    catalogCache      // the ChatGPT backend's last catalog
	limits      limitsState       // the plan limits last reported

	approvals approvalState // of turns whose chat names none (approval.go)
	mcp       mcpHub        // MCP servers, per session (mcp.go)
}

// New builds an engine. Nothing runs until a client attaches.
func New(cfg Config) *Engine {
	cfg.defaults()
	home := tools.NewHome(tools.HomeConfig{Dir: cfg.Home, UserHome: cfg.UserHome, DataHome: cfg.DataHome,
		OnKeyError: func(err error) {
			cfg.Log.Debug("no key for temporary files: interrupted writes are not swept", zap.Error(err))
		}})
	tightenHome(cfg.Home, cfg.Log)
	store := auth.NewStore(cfg.Home)
	store.Log = cfg.Log
	issuer := &auth.Client{
		Issuer:     cfg.Issuer,
		HTTP:       withUserAgent(cfg.HTTPClient, cfg.Version),
		Originator: cfg.OAuthOriginator,
		Log:        cfg.Log,
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{
		cfg:      cfg,
		log:      cfg.Log,
		store:    store,
		saved:    NewStore(cfg.SessionsDir),
		issuer:   issuer,
		tokens:   newTokenSource(store, issuer, cfg),
		tools:    tools.All(),
		home:     home,
		ctx:      ctx,
		cancel:   cancel,
		flows:    map[string]*flow{},
		sessions: map[string]*Session{},
		defaults: map[string]string{},
	}
}

func newTokenSource(store *auth.Store, issuer *auth.Client, cfg Config) *auth.TokenSource {
	ts := auth.NewTokenSource(store, issuer, cfg.Log)
	ts.Delegate = cfg.RefreshDelegate
	return ts
}

// RefreshNow runs one refresh in this process (what a RefreshDelegate's
// process does): see auth.TokenSource.RefreshNow.
func (e *Engine) RefreshNow(ctx context.Context, reason, stale string) error {
	_, err := e.tokens.RefreshNow(ctx, reason, stale)
	return err
}

// Originator names deckhand to OpenAI's model hosts: an honest identity,
// reported to be served there as the official CLI's is.
const Originator = "deckhand"

// Attach connects the client that hears the engine's events (those of login
// flows, and of sessions that name no client of their own), and sets what a
// session started without options works in: the workspace root and whether
// the client can answer permission requests. NewSession gives a session its
// own. Attach returns the root, cleaned and with symlinks resolved.
func (e *Engine) Attach(c Client, workspaceRoot string, permissions bool) (string, error) {
	env, err := e.home.NewEnv(workspaceRoot)
	if err != nil {
		return "", &InvalidParamsError{Field: "workspaceRoot", Problem: "is not a usable directory (" + err.Error() + ")"}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.client = c
	e.root = env.Root
	e.permissions = permissions
	return env.Root, nil
}

// Close cancels every turn and login flow and waits for the flows to end.
func (e *Engine) Close() {
	e.cancel()
	e.mu.Lock()
	var execs []*tools.Execs
	for _, s := range e.sessions {
		s.cancelTurn()
		execs = append(execs, s.execs)
	}
	e.mu.Unlock()
	for _, x := range execs {
		x.Close() // commands die with deckhand's exit, and what they started
	}
	e.wg.Wait()
	e.home.Close() // the sweeps of temporary files stop
	e.closeMCP()
	e.tokens.Close() // a refresh in flight still saves its rotated token
	// A refreshed login a full disk kept in memory: one last try.
	fctx, fcancel := context.WithTimeout(context.Background(), 3*time.Second)
	e.tokens.FlushUnsaved(fctx)
	fcancel()
	// A tool that ignores its cancel must not keep deckhand from exiting.
	tools := make(chan struct{})
	go func() { e.running.Wait(); close(tools) }()
	select {
	case <-tools:
	case <-time.After(5 * time.Second):
		e.log.Warn("a tool call did not stop; exiting without it")
	}
}

// newID returns a fresh random id with the given prefix.
func newID(prefix string) string {
	var b [8]byte
	rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

func (e *Engine) currentClient() Client {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.client == nil {
		return nopClient{}
	}
	return e.client
}

type nopClient struct{}

func (nopClient) TurnEvent(TurnEvent)       {}
func (nopClient) LoginCompleted(LoginEvent) {}
func (nopClient) Review(context.Context, PermissionRequest) (Verdict, error) {
	return Verdict{Decision: Deny}, nil
}
