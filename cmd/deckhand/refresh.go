package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/engine"
)

// refreshHelperCommand is the hidden command that runs one login refresh in
// a process of its own. A deckhand killed in the middle of a refresh (by
// its editor, kill -9) would take the rotated refresh token with it: the
// issuer has already spent the old one, and the new one lives only in the
// answer. The helper is in a session of its own, so it outlives its parent
// and writes the token to auth.json whatever happens to the parent.
const refreshHelperCommand = "refresh-login"

// refreshRequest is what the parent sends the helper on stdin (the stale
// access token is a secret: never an argument).
type refreshRequest struct {
	Reason string `json:"reason"`
	Stale  string `json:"stale,omitempty"`
}

// refreshAnswer is what the helper prints on stdout.
type refreshAnswer struct {
	OK    bool   `json:"ok"`
	Kind  string `json:"kind,omitempty"`
	Error string `json:"error,omitempty"`
}

// refreshLogin is the helper: it refreshes in this process, under the lock.
func refreshLogin(ctx context.Context, o *options, log *zap.Logger, stdin io.Reader, stdout io.Writer) int {
	var req refreshRequest
	if err := json.NewDecoder(io.LimitReader(stdin, 1<<20)).Decode(&req); err != nil {
		_ = json.NewEncoder(stdout).Encode(refreshAnswer{Kind: "other", Error: "refresh-login is run by deckhand itself, with a request on stdin"})
		return 2
	}
	o.noDelegate = true
	eng := newEngine(o, log, false)
	defer eng.Close()
	// The parent may be gone: nothing may stop this refresh but its own
	// time limit.
	err := eng.RefreshNow(context.WithoutCancel(ctx), req.Reason, req.Stale)
	ans := refreshAnswer{OK: err == nil}
	if err != nil {
		ans.Kind, ans.Error = engine.RefreshErrorKind(err), err.Error()
	}
	_ = json.NewEncoder(stdout).Encode(ans)
	if err != nil {
		return 1
	}
	return 0
}

// refreshDelegate runs each refresh in the helper, handing it the settings
// this process runs with.
func refreshDelegate(o *options) func(ctx context.Context, reason, stale string) error {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	env := append(os.Environ(),
		"DECKHAND_HOME="+o.home, "DECKHAND_AUTH_ISSUER="+o.issuer, "DECKHAND_OAUTH_ORIGINATOR="+o.oauthOriginator,
		"DECKHAND_LOG_FILE="+o.logFile, "DECKHAND_LOG_LEVEL="+o.logLevel)
	return func(ctx context.Context, reason, stale string) error {
		in, err := json.Marshal(refreshRequest{Reason: reason, Stale: stale})
		if err != nil {
			return err
		}
		cmd := exec.Command(exe, refreshHelperCommand)
		cmd.Env = env
		cmd.Stdin = bytes.NewReader(in)
		var out bytes.Buffer
		cmd.Stdout = &out
		detach(cmd)
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("%w: %v", engine.ErrNoRefreshHelper, err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err = <-done:
		case <-ctx.Done():
			// The helper carries on and stores what it gets.
			return ctx.Err()
		}
		var ans refreshAnswer
		if jerr := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &ans); jerr != nil {
			if err == nil {
				err = errors.New("no answer")
			}
			return fmt.Errorf("the login refresh helper failed: %v", err)
		}
		if ans.OK {
			return nil
		}
		return engine.RefreshError(ans.Kind, strings.TrimPrefix(ans.Error, "refresh login: "))
	}
}
