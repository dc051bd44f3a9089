package e2e

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// TestRefreshStorm kills deckhand processes at random moments while they
// refresh a rotating token, and checks after every round that the login
// still works: the refresh token stored is one the issuer will honour. A
// process killed after writing its temp file but before renaming it used to
// leave the only copy of the rotated refresh token in the temp file, and the
// spent one in auth.json.
//
// Each round also sends the refresh helpers a hangup and a terminate at a
// random moment. A SIGKILL of a helper after the issuer rotated and before
// it saved cannot be survived by any client (the only copy of the token
// dies with it); see the README's security section.
//
// DECKHAND_SOAK=1 (make soak) runs 300 rounds instead of 30.
//
// The processes are a release build (CGO_ENABLED=0, no race detector), as
// users run: the storm starts some 300 of them, and a race-built one spends
// a tenth of a second of CPU starting, which made this the longest test of
// the package. The refresh paths run race-built in TestHostileRefreshHelper
// and the auth tests.
func TestRefreshStorm(t *testing.T) {
	t.Parallel()
	bin := releaseBuild(t)
	rounds := 30
	if os.Getenv("DECKHAND_SOAK") != "" {
		rounds = 300
	}
	const procs = 5
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	// Every token is inside the refresh margin: each process refreshes.
	fake.SetTokenTTL(2 * time.Minute)
	home := t.TempDir()
	t.Cleanup(func() { settle(t, home) }) // before TempDir's removal
	seed := func() { writeOAuth(t, home, fake.Mint(), upstreamtest.DefaultAccountID, time.Now().Add(2*time.Minute)) }
	seed()

	logs := t.TempDir()
	n := 0
	doctor := func() *exec.Cmd {
		n++
		cmd := exec.Command(bin, "doctor", "--json")
		cmd.Env = append(os.Environ(), "DECKHAND_HOME="+home, "OPENAI_API_KEY=", "DECKHAND_LOG_LEVEL="+os.Getenv("STORM_LOG_LEVEL"),
			"DECKHAND_LOG_FILE="+logs+"/"+strconv.Itoa(n)+".log",
			"DECKHAND_AUTH_ISSUER="+fake.Issuer(), "DECKHAND_CODEX_BASE_URL="+fake.CodexBase(), "OPENAI_BASE_URL="+fake.APIBase())
		return cmd
	}
	// liveOK runs doctor to the end and reports whether its live check
	// passed (and so the stored login could be refreshed and used).
	liveOK := func() (bool, string) {
		out, _ := doctor().Output()
		var rep struct {
			Checks []struct {
				Name, Detail string
				OK           bool
			}
		}
		if err := json.Unmarshal(out, &rep); err != nil {
			return false, "unreadable doctor output: " + string(out)
		}
		for _, c := range rep.Checks {
			if c.Name == "live" {
				return c.OK, c.Detail
			}
		}
		return false, "no live check"
	}

	// An unkilled round gives the span to kill within.
	start := time.Now()
	if ok, why := liveOK(); !ok {
		t.Fatalf("the login does not work before the storm: %s", why)
	}
	span := time.Since(start) * 2
	lost, killedMid := 0, 0
	for round := 0; round < rounds; round++ {
		before := fake.RefreshCount()
		var wg sync.WaitGroup
		for range procs {
			cmd := doctor()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(exited) }()
			wg.Add(1)
			go func() {
				defer wg.Done()
				// The kill's moment is random; a process that ends
				// before it is not waited for.
				select {
				case <-time.After(time.Duration(rand.Int64N(int64(span)))):
					_ = cmd.Process.Kill() // SIGKILL
					<-exited
				case <-exited:
				}
			}()
		}
		// The helpers are hit as well, by everything but SIGKILL (a
		// hangup, a service manager's terminate): none may drop the
		// rotated token it is carrying.
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(rand.Int64N(int64(span))))
			for _, pid := range helperPids(bin, home) {
				_ = syscall.Kill(pid, syscall.SIGHUP)
				_ = syscall.Kill(pid, syscall.SIGTERM)
			}
		}()
		wg.Wait()
		if fake.RefreshCount() > before {
			killedMid++
		}
		tmpBefore := temps(home)
		if ok, why := liveOK(); !ok {
			if os.Getenv("STORM_LOG_LEVEL") != "" {
				for i := n - procs; i <= n; i++ {
					b, _ := os.ReadFile(logs + "/" + strconv.Itoa(i) + ".log")
					t.Logf("process %d:\n%s", i, b)
				}
				t.Logf("temps before: %v", tmpBefore)
			}
			lost++
			t.Logf("round %d: the login was lost: %s; temp files: %v", round, why, temps(home))
			seed()
		}
	}
	t.Logf("%d rounds of %d processes killed within %s: %d lost logins; %d rounds refreshed before the kills", rounds, procs, span, lost, killedMid)
	if lost > 0 {
		t.Errorf("%d of %d rounds lost the login", lost, rounds)
	}
	// Helpers of killed processes may still be finishing: let them.
	settle(t, home)
	if left := temps(home); len(left) > 0 {
		t.Errorf("temp files left after the last clean run: %v", left)
	}
}

// settle waits until no deckhand holds home's auth.json lock for half a
// second, so that refresh helpers outliving their killed parents are done.
func settle(t *testing.T, home string) {
	t.Helper()
	quiet := 0
	for deadline := time.Now().Add(30 * time.Second); quiet < 5 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		f, err := os.OpenFile(home+"/auth.json.lock", os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			quiet++
		} else {
			quiet = 0
		}
		f.Close()
	}
}

func temps(home string) []string {
	ents, _ := os.ReadDir(home)
	var out []string
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			info, _ := e.Info()
			out = append(out, e.Name()+" ("+strconv.FormatInt(info.Size(), 10)+" B)")
		}
	}
	return out
}
