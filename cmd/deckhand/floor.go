//go:build startupfloor

package main

import (
	"bufio"
	"context"
	"os"
)

// This main is a yardstick, built only by e2e's BenchmarkStartup (with
// -tags startupfloor): deckhand's whole binary, every package linked and
// initialised and the C constructor run, answering the first line at once
// with none of deckhand's own work. What deckhand takes beyond it is its
// own start; what it takes beyond a bare Go program is what it links.
func main() {
	if os.Getenv("DECKHAND_FLOOR_RUNS_DECKHAND") == "1" { // never set: keeps all of deckhand linked
		os.Exit(Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	in := bufio.NewReader(os.Stdin)
	in.ReadBytes('\n')
	os.Stdout.WriteString("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n")
	in.ReadBytes('\n')
}
