package e2e

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// TestHostileSigtermStorm: deckhand processes terminated at any moment of
// their start and their work (the stdio server, a `deckhand exec` turn, the
// sandbox's exec wrapper), as an editor that is closed and a watcher that
// ends a command group do. Each must die of the SIGTERM or exit; none may
// crash (a runtime "fatal:", a trap, a segfault). `make soak` runs 735
// rounds on each build (DECKHAND_SOAK=1): race-detector, cgo, static cgo
// and pure Go; otherwise 30 on the e2e binary.
//
// "fatal: morestack on gsignal" was seen once in 735 such rounds: deckhand
// runs no code of its own on the signal stack (os/signal hands signals to a
// goroutine; creack/pty, go-landlock and the seccomp filter install no
// handler), so this storm is how it is looked for.
func TestHostileSigtermStorm(t *testing.T) {
	t.Parallel() // its processes share nothing with the other tests'
	rounds := 30
	if os.Getenv("DECKHAND_SOAK") != "" {
		rounds = 735
	}
	if n, err := strconv.Atoi(os.Getenv("DECKHAND_SIGTERM_ROUNDS")); err == nil {
		rounds = n
	}
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	type build struct{ name, bin string }
	builds := []build{{"e2e", binary}}
	if os.Getenv("DECKHAND_SOAK") != "" {
		if !raceEnabled {
			builds = append(builds, build{"race", buildVariant(t, "race", "1", []string{"-race"}, 0o755)})
		}
		for _, v := range startupVariants[:3] {
			builds = append(builds, build{v.name, buildVariant(t, v.name, v.cgo, v.flags, v.mode)})
		}
	}
	for _, b := range builds {
		t.Run(b.name, func(t *testing.T) {
			home, ws := t.TempDir(), t.TempDir()
			modes := [][]string{
				{},
				{"exec", "say hi"},
				{"sandbox-exec", "--policy", `{}`, "--", "sleep", "1"},
			}
			counts := map[string]int{}
			for i := 0; i < rounds; i++ {
				args := modes[i%len(modes)]
				cmd := exec.Command(b.bin, args...)
				cmd.Dir = ws
				cmd.Env = append(os.Environ(), "DECKHAND_HOME="+home, "OPENAI_API_KEY=sk-storm-0123456789",
					"OPENAI_BASE_URL="+fake.APIBase(), "DECKHAND_LOG_LEVEL=warn")
				stdin, err := cmd.StdinPipe()
				if err != nil {
					t.Fatal(err)
				}
				var errb bytes.Buffer
				cmd.Stderr = &errb
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Duration(rand.IntN(40_000)) * time.Microsecond)
				cmd.Process.Signal(syscall.SIGTERM)
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					cmd.Process.Kill()
					<-done
					t.Errorf("deckhand %q did not end 30 s after SIGTERM", args)
				}
				stdin.Close()
				ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
				how := "exit " + strconv.Itoa(ws.ExitStatus())
				if ws.Signaled() {
					how = ws.Signal().String()
				}
				counts[how]++
				crashed := ws.Signaled() && ws.Signal() != syscall.SIGTERM
				if crashed || strings.Contains(errb.String(), "fatal") || strings.Contains(errb.String(), "goroutine ") {
					t.Errorf("deckhand %q, SIGTERM'd: %s\n%s", args, how, tail(errb.String(), 3000))
				}
			}
			t.Logf("%d rounds: %v", rounds, counts)
		})
	}
}
