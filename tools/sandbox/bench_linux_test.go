package sandbox

import (
	"os"
	"os/exec"
	"testing"
)

// BenchmarkCommand compares one command (`true`) run as it is and run
// through the sandbox's re-exec, whose cost every sandboxed command pays:
// the re-exec itself, the walk around the hidden folder, the ruleset.
func BenchmarkCommand(b *testing.B) {
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	p, err := NewPolicy(WorkspaceWrite, b.TempDir(), home+"/.local/share/deckhand")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command("true").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sandboxed", func(b *testing.B) {
		s := Detect(self)
		if !s.Available() {
			b.Skipf("no sandbox here: %s", s.Reason)
		}
		argv, err := s.Wrap(p, []string{"true"})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
	})
}
