package main

import (
	"context"
	"fmt"
	"io"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/acp"
)

// serveACP serves the Agent Client Protocol on stdio. `deckhand acp login
// headless` is the terminal login an ACP client runs when the user picks
// it: the client adds acp.TerminalLoginArgs to the command it starts
// deckhand with.
func serveACP(ctx context.Context, o *options, log *zap.Logger, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "login" {
		// The login runs in a terminal the client shows the user: its text
		// alone, no JSON log lines in it (a log file still gets them).
		if o.logFile == "" {
			log = zap.NewNop()
		}
		return login(ctx, o, log, args[1:], stdin, stderr)
	}
	if len(args) > 0 {
		fmt.Fprintf(stderr, "deckhand acp: unexpected arguments %q; run `deckhand acp` alone\n", args)
		return 2
	}
	eng := newEngine(o, log, false) // the face opens the browser, to know when it cannot
	defer eng.Close()
	log.Info("deckhand serving ACP on stdio", zap.String("version", version), zap.String("home", o.home))
	return acp.New(acp.Config{Engine: eng, Version: version, OpenBrowser: startBrowser, NoBrowser: o.noBrowser, Log: log}).Run(ctx, stdin, stdout)
}
