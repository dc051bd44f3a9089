package sandbox

import (
	"errors"
	"fmt"
	"syscall"
)

// Kind names the sandbox a platform has (PROTOCOL 1.2's
// `capabilities.sandbox.kind`).
type Kind string

// Kinds of sandbox.
const (
	None     Kind = "none"
	Landlock Kind = "landlock"
	Seatbelt Kind = "seatbelt"
)

// Command is the hidden deckhand command that applies a policy to itself
// and executes the command after `--`.
const Command = "sandbox-exec"

// seatbeltExec is macOS's launcher of a process under a Seatbelt profile.
const seatbeltExec = "/usr/bin/sandbox-exec"

// Sandbox is the sandbox deckhand can put its commands in. The zero value
// is no sandbox.
type Sandbox struct {
	Kind Kind
	// Reason says why there is no sandbox, or, when there is one, what it
	// does not close (the network on a kernel whose Landlock cannot).
	Reason string
	// NetworkClosed says whether a sandboxed command is kept from opening
	// TCP connections.
	NetworkClosed bool
	// ABI is the kernel's Landlock ABI version (Landlock only).
	ABI int

	self string // deckhand's executable, re-executed to apply Landlock
}

// ErrUnavailable is Wrap's error where there is no sandbox.
var ErrUnavailable = errors.New("no sandbox is available")

// Off is no sandbox, for the reason given (turned off by the user, a
// platform without one).
func Off(reason string) Sandbox { return Sandbox{Kind: None, Reason: reason} }

// Available reports whether commands can be sandboxed.
func (s Sandbox) Available() bool { return s.Kind == Landlock || s.Kind == Seatbelt }

// Wrap returns the argv that runs argv under policy p: on Linux deckhand's
// own sandbox-exec, on macOS /usr/bin/sandbox-exec with the profile.
func (s Sandbox) Wrap(p Policy, argv []string) ([]string, error) {
	if len(argv) == 0 {
		return nil, errors.New("sandbox: no command")
	}
	switch s.Kind {
	case Landlock:
		if s.self == "" {
			return nil, fmt.Errorf("%w: deckhand's own executable is unknown", ErrUnavailable)
		}
		return append([]string{s.self, Command, "--policy", p.Encode(), "--"}, argv...), nil
	case Seatbelt:
		return append([]string{seatbeltExec, "-p", Profile(p), "--"}, argv...), nil
	}
	if s.Reason != "" {
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, s.Reason)
	}
	return nil, ErrUnavailable
}

// fromLandlockABI describes the sandbox a kernel's answer to the Landlock
// version query gives: the ABI version, or the error of the query.
func fromLandlockABI(self string, abi int, err error) Sandbox {
	switch {
	case errors.Is(err, syscall.ENOSYS):
		return Off("the kernel has no Landlock (it needs Linux 5.13 or later, built with CONFIG_SECURITY_LANDLOCK), or a container's seccomp filter hides it")
	case errors.Is(err, syscall.EOPNOTSUPP):
		return Off("Landlock is built into the kernel but not enabled: add landlock to the lsm= boot parameter")
	case err != nil:
		return Off(fmt.Sprintf("Landlock cannot be queried: %v", err))
	case abi < 1:
		return Off(fmt.Sprintf("the kernel reports Landlock ABI %d", abi))
	case self == "":
		return Off("deckhand cannot find its own executable to apply Landlock with")
	}
	s := Sandbox{Kind: Landlock, ABI: abi, self: self, NetworkClosed: abi >= 4}
	if !s.NetworkClosed {
		s.Reason = fmt.Sprintf("the kernel's Landlock ABI is %d: sandboxed commands can still open network connections (closing TCP needs ABI 4, Linux 6.7)", abi)
	}
	return s
}
