package e2e

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// helperPids lists the running refresh helpers of the executable bin that
// work for the given home (other tests' helpers run alongside).
func helperPids(bin, home string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) < 2 || args[0] != bin || args[1] != "refresh-login" {
			continue
		}
		// The helper's environment names its home (and may hold
		// nothing secret: TestHostileRefreshHelper).
		environ, _ := os.ReadFile("/proc/" + e.Name() + "/environ")
		if slices.Contains(strings.Split(string(environ), "\x00"), "DECKHAND_HOME="+home) {
			out = append(out, pid)
		}
	}
	return out
}

// TestHostileRefreshHelper: the refresh helper, caught at its worst moment
// (the issuer has rotated the refresh token, the answer is on its way) with
// its parent killed: it must hold none of the parent's other secrets in its
// environment, read its request from a descriptor of its own rather than
// stdin, and finish and save the rotated token whatever hangup or terminate
// signals it gets, so the login survives.
func TestHostileRefreshHelper(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skipf("no /proc: the helper cannot be inspected: %v", err)
	}
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	fake.SetTokenTTL(2 * time.Minute) // inside the margin: doctor refreshes
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), upstreamtest.DefaultAccountID, time.Now().Add(2*time.Minute))
	t.Cleanup(func() { settle(t, home) })

	// A proxy in front of the issuer holds the token answer once the
	// issuer has rotated, until the test has done its worst.
	target, _ := url.Parse(fake.Issuer())
	rotated, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(r *http.Response) error {
		if strings.HasSuffix(r.Request.URL.Path, "/oauth/token") {
			once.Do(func() { close(rotated) })
			<-release
		}
		return nil
	}
	proxy := &http.Server{Handler: rp}
	ln := listenLocal(t)
	go proxy.Serve(ln)
	t.Cleanup(func() { proxy.Close() })

	const apiKey, ghToken = "sk-parent-only-0123456789", "ghp_parentonly0123456789"
	parent := exec.Command(binary, "doctor", "--json")
	parent.Env = append(os.Environ(), "DECKHAND_HOME="+home, "DECKHAND_AUTH_ISSUER=http://"+ln.Addr().String(),
		"DECKHAND_CODEX_BASE_URL="+fake.CodexBase(), "OPENAI_BASE_URL="+fake.APIBase(),
		"OPENAI_API_KEY="+apiKey, "GITHUB_TOKEN="+ghToken, "DECKHAND_LOG_FILE="+filepath.Join(t.TempDir(), "d.log"))
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rotated:
	case <-time.After(60 * time.Second):
		parent.Process.Kill()
		t.Fatal("no refresh reached the issuer")
	}
	pids := helperPids(binary, home)
	if len(pids) != 1 {
		close(release)
		t.Fatalf("want one refresh helper running, got %v", pids)
	}
	helper := pids[0]
	environ, _ := os.ReadFile("/proc/" + strconv.Itoa(helper) + "/environ")
	for _, secret := range []string{apiKey, ghToken} {
		if bytes.Contains(environ, []byte(secret)) {
			t.Errorf("the helper's environment holds the parent's %s…", secret[:6])
		}
	}
	if in, _ := os.Readlink("/proc/" + strconv.Itoa(helper) + "/fd/0"); in != "/dev/null" {
		t.Errorf("the helper's stdin is %q: its request must come on a descriptor of its own", in)
	}
	// The editor goes, its terminal hangs up, a service manager stops
	// what is left: everything but SIGKILL.
	parent.Process.Kill()
	parent.Wait()
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGTERM} {
		syscall.Kill(helper, sig)
		time.Sleep(20 * time.Millisecond) // the signals come one after another, as they would
	}
	close(release)
	settle(t, home)
	// The stored refresh token must be the rotated one: a refresh with it
	// works.
	check := exec.Command(binary, "doctor", "--json")
	check.Env = append(os.Environ(), "DECKHAND_HOME="+home, "DECKHAND_AUTH_ISSUER="+fake.Issuer(),
		"DECKHAND_CODEX_BASE_URL="+fake.CodexBase(), "OPENAI_BASE_URL="+fake.APIBase(), "OPENAI_API_KEY=")
	out, _ := check.Output()
	if !liveOKIn(out) {
		t.Errorf("the login was lost when the helper was signalled mid-refresh: %s", tail(string(out), 600))
	}
}

func listenLocal(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// liveOKIn reports whether a doctor --json report's live check passed.
func liveOKIn(out []byte) bool {
	var rep struct {
		Checks []struct {
			Name string
			OK   bool
		}
	}
	if json.Unmarshal(out, &rep) != nil {
		return false
	}
	for _, c := range rep.Checks {
		if c.Name == "live" {
			return c.OK
		}
	}
	return false
}
