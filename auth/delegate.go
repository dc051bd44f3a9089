package auth

import (
	"errors"
)

// ErrNoDelegate: a Delegate could not run the refresh at all (its helper
// did not start: the binary was replaced, say); the token source then
// refreshes in its own process.
var ErrNoDelegate = errors.New("the refresh helper could not start")

// A refresh run by a Delegate's process reports its failure by kind, and
// the token source's process turns it back into an error that satisfies the
// same sentinel.
var refreshKinds = []struct {
	kind string
	err  error
}{
	{"reauth", ErrReauth},
	{"busy", ErrRefreshBusy},
	{"nocredential", ErrNoCredential},
	{"unusable", ErrUnusableEntry},
	{"corrupt", ErrCorrupt},
}

// RefreshErrorKind names the kind of a refresh failure ("other" for a
// passing one, such as the network).
func RefreshErrorKind(err error) string {
	for _, k := range refreshKinds {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	return "other"
}

// RefreshError rebuilds a failure reported by kind with its message.
func RefreshError(kind, message string) error {
	for _, k := range refreshKinds {
		if k.kind == kind {
			return &delegatedError{msg: message, sentinel: k.err}
		}
	}
	return &delegatedError{msg: message}
}

type delegatedError struct {
	msg      string
	sentinel error
}

func (e *delegatedError) Error() string { return e.msg }

func (e *delegatedError) Is(target error) bool { return e.sentinel != nil && target == e.sentinel }
