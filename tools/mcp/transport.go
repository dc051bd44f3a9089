package mcp

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"sort"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// terminateWait is how long a stdio server may take to exit after its input
// is closed, before it is signalled.
const terminateWait = time.Second

// transport makes the transport of a server; release (maybe nil) kills what
// a stdio server leaves behind, once it is closed.
func (s *Set) transport(cfg Server) (sdk.Transport, func(), error) {
	switch cfg.Transport() {
	case TransportStdio:
		return s.command(cfg)
	case TransportHTTP, TransportSSE:
		headers := map[string]string{}
		for k, v := range cfg.Headers {
			headers[k] = v
		}
		if cfg.BearerTokenEnv != "" {
			token := s.opts.Getenv(cfg.BearerTokenEnv)
			if token == "" {
				return nil, nil, fmt.Errorf("the environment variable %s, which holds its bearer token, is not set", cfg.BearerTokenEnv)
			}
			headers["Authorization"] = "Bearer " + token
		}
		base := s.opts.HTTPClient
		if base == nil {
			base = &http.Client{}
		}
		client := &http.Client{Transport: headerTransport{headers: headers, next: base.Transport}, Jar: base.Jar}
		if cfg.Transport() == TransportSSE {
			return &sdk.SSEClientTransport{Endpoint: cfg.URL, HTTPClient: client}, nil, nil
		}
		return &sdk.StreamableClientTransport{Endpoint: cfg.URL, HTTPClient: client, MaxRetries: 2}, nil, nil
	}
	return nil, nil, fmt.Errorf("unknown transport %q", cfg.Type)
}

// command makes the transport of a stdio server: its command, arguments,
// environment and working folder, its standard error to the log.
func (s *Set) command(cfg Server) (sdk.Transport, func(), error) {
	cmd := exec.Command(cfg.Command, cfg.Args...)
	cmd.Dir = cfg.Cwd
	env := append([]string(nil), s.opts.Environ...)
	names := make([]string, 0, len(cfg.Env))
	for k := range cfg.Env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		env = append(env, k+"="+cfg.Env[k])
	}
	cmd.Env = env
	cmd.Stderr = io.Discard
	if s.opts.Stderr != nil {
		if w := s.opts.Stderr(cfg.Name); w != nil {
			cmd.Stderr = w
		}
	}
	// A grandchild that keeps stderr open must not hold up the wait.
	cmd.WaitDelay = time.Second
	var release func()
	if s.opts.Contain != nil {
		r, err := s.opts.Contain(cmd)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot prepare its process: %w", err)
		}
		release = r
	}
	return &sdk.CommandTransport{Command: cmd, TerminateDuration: terminateWait}, release, nil
}

// headerTransport adds a server's headers to every request.
type headerTransport struct {
	headers map[string]string
	next    http.RoundTripper
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	if len(t.headers) == 0 {
		return next.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	for k, v := range t.headers {
		if strings.EqualFold(k, "Host") {
			continue
		}
		r.Header.Set(k, v)
	}
	return next.RoundTrip(r)
}
