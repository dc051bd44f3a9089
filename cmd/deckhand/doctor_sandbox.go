package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/deckhand-dev/deckhand/tools/sandbox"
)

// sandboxCheck reports the sandbox commands run in, and proves it works
// by running `true` inside it. No sandbox is not a failure: commands then
// ask first.
func sandboxCheck(ctx context.Context, o *options) check {
	c := check{Name: "sandbox", OK: true}
	sb := detectSandbox(o)
	if !sb.Available() {
		c.Detail = "none (" + sb.Reason + "): every command asks first"
		return c
	}
	c.Detail = string(sb.Kind)
	if sb.Kind == sandbox.Landlock {
		c.Detail += fmt.Sprintf(" (ABI %d)", sb.ABI)
	}
	if sb.NetworkClosed {
		c.Detail += ", TCP closed"
	} else {
		c.Detail += ", TCP open: " + sb.Reason
	}
	pol, err := sandbox.NewPolicy(sandbox.ReadOnly, "", o.home)
	if err == nil {
		var argv []string
		if argv, err = sb.Wrap(pol, []string{"true"}); err == nil {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			var out []byte
			out, err = exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
			if err != nil {
				err = fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
			}
		}
	}
	if err != nil {
		c.OK = false
		c.Detail += "; a command cannot run in it: " + err.Error()
		c.Advice = "start deckhand with --no-sandbox (every command then asks first), or let the container use Landlock"
	}
	return c
}
