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
	"os/signal"
	"strings"
	"sync"
	"syscall"

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
	// Unsaved is the new login when the refresh worked but auth.json
	// could not take it (a full disk): the parent holds it from then on.
	Unsaved json.RawMessage `json:"unsaved,omitempty"`
}

// refreshLogin is the helper: it refreshes in this process, under the lock.
// It reads its request from the pipe deckhand handed it (see requestPipe).
// The process is already non-dumpable (package nodump), so no other process
// of the user can open that pipe or read its memory.
func refreshLogin(ctx context.Context, o *options, log *zap.Logger, request io.Reader, stdout io.Writer) int {
	// Once the issuer has rotated the token, the answer is the only copy:
	// a hangup or a terminate (an editor or a terminal closing, a service
	// manager stopping the parent's group) must not end the helper before
	// it is saved. The refresh has its own time limit.
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGPIPE)
	var req refreshRequest
	if err := json.NewDecoder(io.LimitReader(request, 1<<20)).Decode(&req); err != nil {
		_ = json.NewEncoder(stdout).Encode(refreshAnswer{Kind: "other", Error: "refresh-login is run by deckhand itself, with a request on its descriptor 3"})
		return 2
	}
	o.noDelegate = true
	eng := newEngine(o, log, false)
	defer eng.Close()
	// The parent may be gone: nothing may stop this refresh but its own
	// time limit.
	err := eng.RefreshNow(context.WithoutCancel(ctx), req.Reason, req.Stale)
	ans := refreshAnswer{OK: err == nil}
	if raw, ok := engine.UnsavedLogin(err); ok {
		ans.Unsaved, ans.Error = raw, err.Error()
	} else if err != nil {
		ans.Kind, ans.Error = engine.RefreshErrorKind(err), err.Error()
	}
	_ = json.NewEncoder(stdout).Encode(ans)
	if err != nil {
		return 1
	}
	return 0
}

// requestPipe is the helper's descriptor 3: the read end of a pipe its
// parent filled and closed before starting it. Not stdin: an inherited
// descriptor of its own, which nobody else has a path to.
func requestPipe() io.Reader { return os.NewFile(3, "refresh request") }

// helperEnv is the helper's whole environment: where deckhand's home and
// log are, how to reach the issuer (proxies, CA roots), where temp files
// go, and a race-built deckhand's race settings (GORACE: where its reports
// go). Nothing else: the parent's environment holds the user's other
// secrets (OPENAI_API_KEY, GITHUB_TOKEN ...), which the helper has no use
// for.
func helperEnv(o *options) []string {
	env := []string{"DECKHAND_HOME=" + o.home, "DECKHAND_AUTH_ISSUER=" + o.issuer,
		"DECKHAND_OAUTH_ORIGINATOR=" + o.oauthOriginator, "DECKHAND_LOG_FILE=" + o.logFile,
		"DECKHAND_LOG_LEVEL=" + o.logLevel}
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
		"ALL_PROXY", "all_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "TMPDIR", "GORACE"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// refreshDelegate runs each refresh in the helper, handing it the settings
// this process runs with. Where the helper is and what it is handed are
// worked out at the first refresh, not while a starting client waits for
// initialize; without an executable to start, the refresh runs in this
// process (ErrNoRefreshHelper).
func refreshDelegate(o *options) func(ctx context.Context, reason, stale string) error {
	type helper struct {
		exe string
		env []string
		err error
	}
	find := sync.OnceValue(func() helper {
		exe, err := os.Executable()
		return helper{exe: exe, env: helperEnv(o), err: err}
	})
	return func(ctx context.Context, reason, stale string) error {
		h := find()
		if h.err != nil {
			return fmt.Errorf("%w: %v", engine.ErrNoRefreshHelper, h.err)
		}
		exe, env := h.exe, h.env
		in, err := json.Marshal(refreshRequest{Reason: reason, Stale: stale})
		if err != nil {
			return err
		}
		// The request (well under a pipe's buffer) is written and the
		// write end closed before the helper exists.
		r, w, err := os.Pipe()
		if err != nil {
			return fmt.Errorf("%w: %v", engine.ErrNoRefreshHelper, err)
		}
		_, werr := w.Write(in)
		w.Close()
		if werr != nil {
			r.Close()
			return fmt.Errorf("%w: %v", engine.ErrNoRefreshHelper, werr)
		}
		cmd := exec.Command(exe, refreshHelperCommand)
		cmd.Env = env
		cmd.ExtraFiles = []*os.File{r} // descriptor 3; stdin is /dev/null
		var out bytes.Buffer
		cmd.Stdout = &out
		detach(cmd)
		err = cmd.Start()
		r.Close()
		if err != nil {
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
		if err := engine.UnsavedRefresh(ans.Unsaved, ans.Error); err != nil {
			return err
		}
		return engine.RefreshError(ans.Kind, strings.TrimPrefix(ans.Error, "refresh login: "))
	}
}
