//go:build !linux

package e2e

import "time"

// dirEvents stands for the changes in a folder: a 20 ms tick here.
type dirEvents struct{}

func watchDir(string) dirEvents { return dirEvents{} }

func (dirEvents) next(d time.Duration) { time.Sleep(min(d, 20*time.Millisecond)) }

func (dirEvents) close() {}

// waitExit waits until the process pid has ended, and reports whether it
// did within d.
func waitExit(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); alive(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}
