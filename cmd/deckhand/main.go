//go:build !startupfloor

// Command deckhand is a headless coding-agent server for editors. An editor
// starts it as a child process and speaks JSON-RPC to it over stdio; deckhand
// logs in to OpenAI, runs the model's tool loop over the workspace and streams
// what happens. Run `deckhand help` for the terminal commands.
package main

import (
	"context"
	"os"
)

func main() {
	if err := harden(); err != nil {
		// Rare (some sandboxes refuse prctl); say so and go on.
		os.Stderr.WriteString("deckhand: warning: commands it runs could read its memory and environment (prctl: " + err.Error() + ")\n")
	}
	ctx, cancel := context.WithCancel(context.Background())
	code := Run(withSignals(ctx, &signals{cancel: cancel}), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}
