package tools

import "strings"

// CommandSandbox is how a command tool runs its command inside the OS
// sandbox; the engine sets one on the Env of a call it decided to sandbox.
type CommandSandbox struct {
	// Wrap turns a command's argv into the argv that runs it sandboxed;
	// writable adds folders it may write besides the workspace and the
	// temp folders (the command's own temp dir).
	Wrap func(argv []string, writable ...string) ([]string, error)
	// Hint is added to the result of a command that failed in a way the
	// sandbox may have caused: how the model can ask to run it outside.
	// "" adds nothing.
	Hint string
}

// denialWords are what a command prints when the sandbox refused it
// something: a file it may not open, write or link, a connection it may
// not make (curl says it could not connect).
var denialWords = []string{"permission denied", "operation not permitted", "read-only file system", "cross-device link",
	"eacces", "eperm", "exdev", "couldn't connect to server", "failed to connect", "network is unreachable"}

// sandboxDenial reports whether output looks like a command that the
// sandbox stopped.
func sandboxDenial(output string) bool {
	lower := strings.ToLower(output)
	for _, w := range denialWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}
