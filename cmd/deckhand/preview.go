package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/deckhand-dev/deckhand/engine"
)

// showPreview prints what a call would do before the prompt: the diff of a
// write or edit, the whole command of bash.
func showPreview(w io.Writer, p *engine.Preview) {
	switch {
	case p == nil:
	case p.Diff != "":
		fmt.Fprint(w, p.Diff)
		if !strings.HasSuffix(p.Diff, "\n") {
			fmt.Fprintln(w)
		}
	case p.Command != "":
		fmt.Fprintf(w, "$ %s\n  (in %s)\n", p.Command, p.Cwd)
		if p.Sandboxed != nil && !*p.Sandboxed {
			fmt.Fprintln(w, "  runs OUTSIDE the sandbox, with your full access")
		}
		if p.Justification != "" {
			fmt.Fprintf(w, "  why: %s\n", p.Justification)
		}
	}
}
