//go:build !unix

package engine

// uname has no portable equivalent here; the caller falls back to GOOS.
func uname() (sys, release string, ok bool) { return "", "", false }
