package sandbox

import (
	"fmt"
	"runtime"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// Detect finds the sandbox of this machine: Landlock when the kernel has
// it. self is deckhand's executable, which applies the rules in a re-exec.
func Detect(self string) Sandbox {
	abi, err := ll.LandlockGetABIVersion()
	s := fromLandlockABI(self, abi, err)
	if _, _, ok := filterArch(); s.NetworkClosed && !ok {
		s.NetworkClosed = false
		s.Reason = "deckhand has no socket filter on " + runtime.GOARCH + ": sandboxed commands can still reach the network over UDP and Multipath TCP"
	}
	return s
}

// rules are the Landlock rules of p: read everywhere but the hidden
// folders, write the writable ones and the device files.
func (p Policy) rules() []landlock.Rule {
	var rules []landlock.Rule
	for _, g := range p.readGrants() {
		if g.dir {
			rules = append(rules, landlock.RODirs(g.path).IgnoreIfMissing())
		} else {
			rules = append(rules, landlock.ROFiles(g.path).IgnoreIfMissing())
		}
	}
	for _, w := range p.Writable {
		// A writable folder that holds a hidden one (a workspace that is
		// the home folder, a home in the temp folder) is granted around
		// it. Refer: moving a file between two folders of the workspace
		// (git does) needs it.
		for _, g := range p.cover(w) {
			if g.dir {
				rules = append(rules, landlock.RWDirs(g.path).WithRefer().IgnoreIfMissing())
			} else {
				rules = append(rules, landlock.RWFiles(g.path).IgnoreIfMissing())
			}
		}
	}
	if len(p.Writable) > 0 {
		rules = append(rules, landlock.RWDirs("/dev/shm").IgnoreIfMissing())
	}
	rules = append(rules, landlock.RWFiles(devices...).WithIoctlDev().IgnoreIfMissing(),
		landlock.RWDirs("/dev/pts").WithIoctlDev().IgnoreIfMissing())
	return rules
}

// restrict applies p to the calling OS thread, for good: the thread must
// execute the command next (see Main). It refuses to go on without
// Landlock rather than run the command unconfined.
func restrict(p Policy) error {
	cfg := landlock.V11.BestEffort()
	if p.Network {
		cfg.HandledAccessNet = 0
	}
	fd, flags, err := cfg.NewRulesetFD(p.rules()...)
	if err != nil {
		return fmt.Errorf("landlock ruleset: %w", err)
	}
	if fd < 0 {
		return fmt.Errorf("landlock is not available on this kernel")
	}
	defer unix.Close(fd)
	runtime.LockOSThread() // never unlocked: this thread executes the command
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	if err := ll.LandlockRestrictSelf(fd, flags); err != nil {
		return fmt.Errorf("landlock_restrict_self: %w", err)
	}
	if !p.Network {
		if _, _, ok := filterArch(); ok {
			return closeSockets()
		}
	}
	return nil
}
