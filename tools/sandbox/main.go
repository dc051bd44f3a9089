package sandbox

import (
	"errors"
	"fmt"
	"io"
)

// Exit statuses of Main when the command never ran, as a shell's.
const (
	exitCannotRun = 126
	exitNotFound  = 127
)

// parseArgs reads `--policy JSON -- command args...`.
func parseArgs(args []string) (Policy, []string, error) {
	var p Policy
	seen := false
	for len(args) > 0 {
		switch args[0] {
		case "--policy":
			if len(args) < 2 {
				return Policy{}, nil, errors.New("--policy needs a value")
			}
			var err error
			if p, err = DecodePolicy(args[1]); err != nil {
				return Policy{}, nil, err
			}
			seen, args = true, args[2:]
		case "--":
			if !seen {
				return Policy{}, nil, errors.New("no --policy given")
			}
			if len(args) < 2 {
				return Policy{}, nil, errors.New("no command after --")
			}
			return p, args[1:], nil
		default:
			return Policy{}, nil, fmt.Errorf("unexpected argument %q", args[0])
		}
	}
	return Policy{}, nil, errors.New("usage: deckhand " + Command + " --policy JSON -- command [args...]")
}

// Main is the hidden `deckhand sandbox-exec --policy JSON -- command...`:
// it restricts itself to the policy and replaces itself with the command,
// which keeps the restrictions and hands them down to whatever it starts.
// It returns only when the command could not be started, with the exit
// status to end with.
func Main(args []string, stderr io.Writer) int {
	p, argv, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "deckhand %s: %v\n", Command, err)
		return 2
	}
	path, err := lookPath(argv[0])
	if err != nil {
		fmt.Fprintf(stderr, "deckhand %s: %v\n", Command, err)
		return exitNotFound
	}
	if err := restrict(p); err != nil {
		fmt.Fprintf(stderr, "deckhand %s: the sandbox cannot be applied, so the command was not run: %v\n", Command, err)
		return exitCannotRun
	}
	err = execve(path, argv)
	fmt.Fprintf(stderr, "deckhand %s: %s: %v\n", Command, argv[0], err)
	return exitCannotRun
}
