//go:build !linux

package main

// harden has nothing to do here. On macOS another process of the same user
// cannot open deckhand's descriptors by path (there is no /proc), and
// task_for_pid needs a debugger entitlement under the hardened runtime.
func harden() error { return nil }
