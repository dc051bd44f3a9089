package e2e

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

type doctorReport struct {
	OK     bool `json:"ok"`
	Checks []struct {
		Name   string `json:"name"`
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
		Advice string `json:"advice"`
	} `json:"checks"`
}

// doctor runs `deckhand doctor --json` with the fake's hosts and extra
// variables, and the text form too, which must say the same.
func runDoctor(t *testing.T, fake *upstreamtest.Server, home string, env ...string) (doctorReport, int) {
	t.Helper()
	base := append(os.Environ(), "DECKHAND_HOME="+home, "OPENAI_API_KEY=", "DECKHAND_LOG_LEVEL=error",
		"DECKHAND_AUTH_ISSUER="+fake.Issuer(), "DECKHAND_CODEX_BASE_URL="+fake.CodexBase(), "OPENAI_BASE_URL="+fake.APIBase(),
		"DECKHAND_OAUTH_PORT="+strconv.Itoa(freePort(t)))
	cmd := exec.Command(binary, "doctor", "--json")
	cmd.Env = append(base, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var rep doctorReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("doctor --json printed %q (%v); stderr %s", out.String(), err, errb.String())
	}
	text := exec.Command(binary, "doctor")
	text.Env = cmd.Env
	tout, _ := text.Output()
	for _, c := range rep.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		if !strings.Contains(string(tout), mark+"  "+c.Name) {
			t.Errorf("the text report lacks %q:\n%s", mark+"  "+c.Name, tout)
		}
	}
	return rep, code
}

// only checks that exactly the named check failed, with advice, and that
// its detail says want.
func only(t *testing.T, rep doctorReport, code int, name, want string) {
	t.Helper()
	if code != 1 || rep.OK {
		t.Errorf("exit %d ok %v, want 1 and false", code, rep.OK)
	}
	for _, c := range rep.Checks {
		switch {
		case c.Name == name && c.OK:
			t.Errorf("%s passed: %s", name, c.Detail)
		case c.Name == name && (c.Advice == "" || !strings.Contains(c.Detail, want)):
			t.Errorf("%s: detail %q advice %q, want the detail to say %q and advice", name, c.Detail, c.Advice, want)
		case c.Name != name && !c.OK && !(name == "auth.json" && c.Name == "live"):
			t.Errorf("%s failed too: %s", c.Name, c.Detail)
		}
	}
}

func TestDoctor(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	login := func(t *testing.T) string {
		home := t.TempDir()
		writeOAuth(t, home, fake.Mint(), upstreamtest.DefaultAccountID, time.Now().Add(time.Hour))
		return home
	}

	t.Run("all ok", func(t *testing.T) {
		home := login(t)
		rep, code := runDoctor(t, fake, home)
		if code != 0 || !rep.OK {
			t.Errorf("exit %d: %+v", code, rep)
		}
		var names []string
		for _, c := range rep.Checks {
			names = append(names, c.Name)
			if !c.OK {
				t.Errorf("%s failed: %s", c.Name, c.Detail)
			}
		}
		if want := "version home auth.json token live callback port editors sandbox"; strings.Join(names, " ") != want {
			t.Errorf("checks %v, want %s", names, want)
		}
		var said strings.Builder
		for _, c := range rep.Checks {
			said.WriteString(c.Detail + " " + c.Advice + " ")
		}
		e := readAuth(t, home)["openai"]
		for _, secret := range []string{e["access"].(string), e["refresh"].(string)} {
			if strings.Contains(said.String(), secret) {
				t.Errorf("the report holds a token")
			}
		}
	})

	t.Run("expired refresh token", func(t *testing.T) {
		f := upstreamtest.New()
		t.Cleanup(f.Close)
		f.SetTokenTTL(-time.Minute)
		home := t.TempDir()
		writeOAuth(t, home, f.Mint(), upstreamtest.DefaultAccountID, time.Now().Add(-time.Minute))
		f.FailRefresh(401, upstreamtest.CodeRefreshExpired)
		rep, code := runDoctor(t, f, home)
		only(t, rep, code, "live", "log in again")
	})

	t.Run("corrupt auth.json", func(t *testing.T) {
		home := t.TempDir()
		broken := []byte(`{"openai": {"type": "oauth", "access": "x"`)
		if err := os.WriteFile(filepath.Join(home, "auth.json"), broken, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, code := runDoctor(t, fake, home)
		only(t, rep, code, "auth.json", "not valid JSON")
		if b, err := os.ReadFile(filepath.Join(home, "auth.json")); err != nil || !bytes.Equal(b, broken) {
			t.Errorf("doctor changed the broken auth.json")
		}
	})

	t.Run("busy port", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		rep, code := runDoctor(t, fake, login(t), "DECKHAND_OAUTH_PORT="+port)
		only(t, rep, code, "callback port", port)
	})

	t.Run("dead host", func(t *testing.T) {
		rep, code := runDoctor(t, fake, login(t), "DECKHAND_CODEX_BASE_URL="+deadHost+"/backend-api/codex")
		only(t, rep, code, "live", "could not reach 127.0.0.1:9")
	})
}
