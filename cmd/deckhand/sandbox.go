package main

import (
	"flag"
	"os"

	"github.com/deckhand-dev/deckhand/tools/sandbox"
)

// sandboxFlags are the flags of the command sandbox: turning it off, and
// the approval policy and sandbox mode of turns whose client names none.
func sandboxFlags(fs *flag.FlagSet, o *options) {
	o.noSandbox = os.Getenv("DECKHAND_NO_SANDBOX") != ""
	fs.BoolVar(&o.noSandbox, "no-sandbox", o.noSandbox,
		"never run commands in the OS sandbox: every command asks first, as in 1.0 (DECKHAND_NO_SANDBOX)")
	o.approvalPolicy = os.Getenv("DECKHAND_APPROVAL_POLICY")
	fs.Func("approval-policy", "untrusted, on-request (default) or never: when a command asks first (DECKHAND_APPROVAL_POLICY)", func(v string) error {
		_, err := sandbox.ParseApproval(v)
		o.approvalPolicy = v
		return err
	})
	o.sandboxMode = os.Getenv("DECKHAND_SANDBOX")
	fs.Func("sandbox", "read-only, workspace-write (default) or full-access: what a command may do (DECKHAND_SANDBOX)", func(v string) error {
		_, err := sandbox.ParseMode(v)
		o.sandboxMode = v
		return err
	})
}

// detectSandbox is the sandbox commands run in: this machine's, unless
// turned off.
func detectSandbox(o *options) sandbox.Sandbox {
	if o.noSandbox {
		return sandbox.Off("turned off with --no-sandbox")
	}
	self, err := os.Executable()
	if err != nil {
		return sandbox.Off("deckhand cannot find its own executable: " + err.Error())
	}
	return sandbox.Detect(self)
}
