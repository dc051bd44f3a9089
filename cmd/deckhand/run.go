package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/pkg/browser"
	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/rpc"
	"github.com/deckhand-dev/deckhand/tools/sandbox"
)

const usage = `deckhand: a headless coding-agent server for editors.

Usage:
  deckhand [flags]                 serve JSON-RPC on stdin/stdout (what editors run)
  deckhand [flags] acp             serve the Agent Client Protocol on stdin/stdout (Zed, ...)
  deckhand [flags] login [method]  log in from a terminal: browser, headless or apikey
  deckhand [flags] logout          forget the stored OpenAI login
  deckhand [flags] status          show the login state
  deckhand [flags] doctor [--json] check the install, the login and the network, with advice
  deckhand [flags] exec "prompt"   run one turn in the current directory and print it
  deckhand exec --resume [ID] "prompt"
                                   continue a session (the last one of this directory without ID)
  deckhand [flags] sessions        list this directory's sessions (--all: every directory's)
  deckhand [flags] demo            watch deckhand work against a built-in fake of OpenAI
  deckhand --version

Flags:
`

// browserOutput makes Run point pkg/browser's output away from stdout once
// per process.
var browserOutput sync.Once

// Run is deckhand: it parses the arguments and runs the command they name.
// It returns the process's exit status.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// pkg/browser sends the opener's output (xdg-open prints to stdout) to
	// its package variables Stdout and Stderr, os.Stdout by default, and
	// deckhand's stdout carries the protocol. This is the one assignment to
	// them, here in the composition root and nowhere else: the layers below
	// never import pkg/browser (deps_test.go) and only receive an opener
	// function, and pkg/browser reads the variables on every open, so they
	// are set once, before anything can open a browser, and never again
	// while an opener may be running. main calls Run once; the first Run's
	// stderr is the one that counts.
	browserOutput.Do(func() { browser.Stdout, browser.Stderr = stderr, stderr })
	if len(args) > 0 && args[0] == sandbox.Command {
		// The re-exec that sandboxes one command: nothing of deckhand runs.
		return sandbox.Main(args[1:], stderr)
	}

	var o options
	fs := newFlags(&o, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	// Flags may also follow the command and its arguments.
	var words []string
	for rest := fs.Args(); len(rest) > 0; {
		words = append(words, rest[0])
		if err := fs.Parse(rest[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		rest = fs.Args()
	}
	if o.portErr != nil {
		fmt.Fprintln(stderr, "deckhand:", o.portErr)
		return 2
	}
	if !isWireVersion(o.wireVersion) {
		fmt.Fprintf(stderr, "deckhand: DECKHAND_WIRE_VERSION=%q is not a version like %s\n", o.wireVersion, engine.WireVersion)
		return 2
	}
	cmd, rest := "serve", []string(nil)
	if len(words) > 0 {
		cmd, rest = words[0], words[1:]
	}
	if o.showVersion {
		fmt.Fprintln(stdout, "deckhand", version)
		return 0
	}
	if cmd != "serve" {
		signalsOf(ctx).listen()
	}
	log, err := newLogger(&o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "deckhand:", err)
		return 2
	}
	defer log.Sync()

	switch cmd {
	case "serve":
		return serve(ctx, &o, log, stdin, stdout)
	case "acp":
		return serveACP(ctx, &o, log, rest, stdin, stdout, stderr)
	case "login":
		return login(ctx, &o, log, rest, stdin, stderr)
	case "logout":
		return logout(ctx, &o, log, stdout, stderr)
	case "status":
		return status(&o, log, stdout)
	case "exec":
		in, _ := stdin.(*os.File)
		return execTurn(ctx, &o, log, rest, in, stdout, stderr)
	case "sessions":
		return listSessions(&o, log, stdout, stderr)
	case "demo":
		return demo(ctx, &o, stdout, stderr)
	case refreshHelperCommand:
		return refreshLogin(ctx, &o, log, requestPipe(), stdout)
	case "doctor":
		return doctor(ctx, &o, log, rest, stdout, stderr)
	case "help":
		fs.Usage()
		return 0
	case "version":
		fmt.Fprintln(stdout, "deckhand", version)
		return 0
	default:
		fmt.Fprintf(stderr, "deckhand: unknown command %q; run `deckhand help`\n", cmd)
		return 2
	}
}

// newEngine builds the engine from the options.
func newEngine(o *options, log *zap.Logger, openBrowser bool) *engine.Engine {
	cfg := engine.Config{
		Version:         version,
		Home:            o.home,
		Issuer:          o.issuer,
		CodexBaseURL:    o.codexBase,
		APIBaseURL:      o.apiBase,
		EnvAPIKey:       o.apiKey,
		OAuthPort:       o.port,
		Originator:      o.originator,
		OAuthOriginator: o.oauthOriginator,
		WireVersion:     o.wireVersion,
		LiveWebSearch:   o.liveWebSearch,
		Organization:    o.organization,
		Project:         o.project,
		AllowAll:        o.allowAll,
		MaxSteps:        o.maxSteps,
		BrowserTimeout:  o.browserTimeout,
		DeviceTimeout:   o.deviceTimeout,
		IdleTimeout:     o.idleTimeout,
		RetryBase:       o.retryBase,
		DiagnosticsWait: o.diagnosticsWait,
		Log:             log,
		Sandbox:         detectSandbox(o),
		ApprovalPolicy:  o.approvalPolicy,
		SandboxMode:     o.sandboxMode,
		UserHome:        o.userHome,
		DataHome:        o.dataHome,
	}
	if openBrowser {
		cfg.OpenBrowser = func(url string) error {
			_, err := startBrowser(url) // its exit is not waited for
			return err
		}
	}
	if !o.noDelegate {
		cfg.RefreshDelegate = refreshDelegate(o)
	}
	return engine.New(cfg)
}

func serve(ctx context.Context, o *options, log *zap.Logger, stdin io.Reader, stdout io.Writer) int {
	wd, err := os.Getwd()
	if err != nil {
		log.Error("no working directory", zap.Error(err))
		return 1
	}
	eng := newEngine(o, log, true)
	defer eng.Close()
	srv := rpc.NewServer(rpc.ServerConfig{Engine: eng, Version: version, WorkDir: wd, Log: log,
		Initialized: signalsOf(ctx).listen})
	log.Info("deckhand serving on stdio", zap.String("version", version), zap.String("home", o.home))
	return srv.Run(ctx, stdin, interruptible(stdout))
}
