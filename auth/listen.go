package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
)

const (
	bindAttempts  = 10
	bindPause     = 200 * time.Millisecond
	cancelTimeout = 2 * time.Second
)

// listenCallback binds 127.0.0.1:port. When the port is taken it asks the
// holder to let go once (GET /cancel, which a deckhand, opencode or Codex CLI
// login listener honours), then retries a few times before giving up with
// ErrPortInUse. Any other failure to bind is reported as it is.
// DefaultPort staying busy, FallbackPort is tried, as the official CLI does.
func listenCallback(ctx context.Context, port int, log *zap.Logger) (net.Listener, error) {
	var lc net.ListenConfig
	return bindWithFallback(ctx, port, log, lc.Listen)
}

func bindWithFallback(ctx context.Context, port int, log *zap.Logger, listen listenFunc) (net.Listener, error) {
	ln, err := bindCallback(ctx, port, log, listen)
	if errors.Is(err, ErrPortInUse) && port == DefaultPort {
		log.Info("login callback port busy; trying the fallback port", zap.Int("port", FallbackPort))
		if ln, ferr := bindCallback(ctx, FallbackPort, log, listen); ferr == nil {
			return ln, nil
		} else if !errors.Is(ferr, ErrPortInUse) {
			return nil, ferr
		}
		return nil, fmt.Errorf("%w; the fallback port %d is busy too", err, FallbackPort)
	}
	return ln, err
}

// listenFunc is net.ListenConfig.Listen; tests stand in for it.
type listenFunc func(ctx context.Context, network, addr string) (net.Listener, error)

func bindCallback(ctx context.Context, port int, log *zap.Logger, listen listenFunc) (net.Listener, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("login callback port %d is not a valid port; set DECKHAND_OAUTH_PORT to a free port", port)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	failed := func(err error) error {
		return fmt.Errorf("listen on %s for the login callback: %w; use the headless method or set DECKHAND_OAUTH_PORT", addr, err)
	}
	ln, err := listen(ctx, "tcp", addr)
	if err == nil {
		return ln, nil
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		return nil, failed(err)
	}
	log.Info("login callback port busy, asking its holder to cancel", zap.Int("port", port))
	holder := askToCancel(ctx, port)
	for range bindAttempts {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("listen on %s for the login callback: %w", addr, ctx.Err())
		case <-time.After(bindPause):
		}
		if ln, err = listen(ctx, "tcp", addr); err == nil {
			return ln, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, failed(err)
		}
	}
	log.Warn("login callback port still busy", zap.Int("port", port), zap.String("holder", holder))
	return nil, fmt.Errorf("%w: port %d is held by %s; close it, use the headless method, or set DECKHAND_OAUTH_PORT to a free port", ErrPortInUse, port, holder)
}

// askToCancel sends the polite-cancel request and describes whoever answered.
func askToCancel(ctx context.Context, port int) string {
	ctx, cancel := context.WithTimeout(ctx, cancelTimeout)
	defer cancel()
	url := "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) + "/cancel"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "another program"
	}
	resp, err := (&http.Transport{DisableKeepAlives: true}).RoundTrip(req)
	if err != nil {
		return "another program"
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if server := clean(resp.Header.Get("Server"), 60, nil); server != "" {
		return fmt.Sprintf("another program (it identifies as %q)", server)
	}
	if resp.StatusCode == http.StatusOK && strings.Contains(strings.ToLower(string(body)), "cancel") {
		return "another login in progress (deckhand, opencode or the Codex CLI) that did not let go"
	}
	return fmt.Sprintf("another program (it answered HTTP %d to /cancel)", resp.StatusCode)
}
