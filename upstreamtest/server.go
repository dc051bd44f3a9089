// Package upstreamtest is a fake of the services deckhand talks to — OpenAI's
// OAuth issuer, ChatGPT's Codex backend and the public Responses API — on a
// real HTTP server on 127.0.0.1, scriptable per test and recording every
// request.
//
// One Server plays all three hosts on one origin:
//
//	<URL>/oauth/authorize, /oauth/token          the issuer (browser PKCE, refresh)
//	<URL>/api/accounts/deviceauth/...            the issuer's device-code flow
//	<URL>/codex/device                           the device verification page
//	<URL>/backend-api/codex/responses, /models   the ChatGPT Codex backend (CodexBase)
//	<URL>/v1/responses, /v1/models               the public API (APIBase)
//
// Tests and the demo command use it; deckhand's serving path never imports it.
// Every method is safe for concurrent use.
package upstreamtest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// ClientID is the public OAuth client id of the Codex CLI, the only client the
// fake issuer accepts.
const ClientID = "app_EMoamEEZ73f0CkXaXp7hrann"

// Paths the fake serves, relative to URL().
const (
	PathAuthorize      = "/oauth/authorize"
	PathToken          = "/oauth/token"
	PathDeviceUserCode = "/api/accounts/deviceauth/usercode"
	PathDeviceToken    = "/api/accounts/deviceauth/token"
	PathDevicePage     = "/codex/device"
	PathDeviceCallback = "/deviceauth/callback"
	PathCodexResponses = "/backend-api/codex/responses"
	PathCodexModels    = "/backend-api/codex/models"
	PathAPIResponses   = "/v1/responses"
	PathAPIModels      = "/v1/models"
)

// Defaults of the scriptable settings.
const (
	DefaultTokenTTL       = time.Hour
	DefaultAccountID      = "acct_test_1"
	DefaultEmail          = "user@example.com"
	DefaultDeviceInterval = "1"
	DefaultModel          = "gpt-5.5"
)

// stallBuffer is how many unread stall notices Stalled keeps.
const stallBuffer = 64

// Server is the fake upstream. Create it with New and Close it when done.
type Server struct {
	srv *httptest.Server

	// closing is closed by Close so that held streams (Stall, DelayPerEvent)
	// let go before the HTTP server waits for its handlers.
	closing   chan struct{}
	closeOnce sync.Once
	stalls    chan struct{}

	mu       sync.Mutex
	requests []Request
	serial   int // source of unique ids and token counters

	issuer  issuerState
	device  deviceState
	model   modelState
	compact compactState
	limits  rateLimits
}

// New starts a fake upstream on 127.0.0.1 (httptest.NewServer).
func New() *Server {
	s := &Server{
		closing: make(chan struct{}),
		stalls:  make(chan struct{}, stallBuffer),
		issuer:  newIssuerState(),
		device:  newDeviceState(),
	}
	s.srv = httptest.NewServer(s.record(s.routes()))
	return s
}

// Close releases any held stream and shuts the server down, waiting for
// every handler to return. It may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// URL is the server's root, such as http://127.0.0.1:41234.
func (s *Server) URL() string { return s.srv.URL }

// Issuer is the OAuth issuer's base URL (the root).
func (s *Server) Issuer() string { return s.srv.URL }

// CodexBase is the ChatGPT Codex backend's base URL; requests go to
// CodexBase()+"/responses".
func (s *Server) CodexBase() string { return s.srv.URL + "/backend-api/codex" }

// APIBase is the public API's base URL; requests go to APIBase()+"/responses".
func (s *Server) APIBase() string { return s.srv.URL + "/v1" }

// Client is an HTTP client set up for this server (httptest's); it follows
// redirects as http.Client does.
func (s *Server) Client() *http.Client { return s.srv.Client() }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathAuthorize, s.handleAuthorize)
	mux.HandleFunc("POST "+PathToken, s.handleToken)
	mux.HandleFunc("POST "+PathDeviceUserCode, s.handleDeviceUserCode)
	mux.HandleFunc("POST "+PathDeviceToken, s.handleDeviceToken)
	mux.HandleFunc("GET "+PathDevicePage, s.handleDevicePage)
	mux.HandleFunc("GET "+PathDeviceCallback, s.handleDeviceCallback)
	mux.HandleFunc("POST "+PathCodexResponses, s.handleCodexResponses)
	mux.HandleFunc("GET "+PathCodexModels, s.handleCodexModels)
	mux.HandleFunc("POST "+PathAPIResponses, s.handleAPIResponses)
	mux.HandleFunc("GET "+PathAPIModels, s.handleAPIModels)
	mux.HandleFunc("POST "+PathCodexCompact, s.handleCodexCompact)
	mux.HandleFunc("POST "+PathAPICompact, s.handleAPICompact)
	return mux
}

// nextSerial returns a fresh positive number, unique for this server.
// The caller holds s.mu.
func (s *Server) nextSerial() int {
	s.serial++
	return s.serial
}
