//go:build !unix

package main

import "io"

// interruptible has no non-blocking pipes to offer here.
func interruptible(w io.Writer) io.Writer { return w }
