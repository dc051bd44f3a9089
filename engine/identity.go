package engine

import (
	"bufio"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
)

// userAgent is `deckhand/<version> (<os> <os version>; <arch>)`, the shape
// of the official CLI's User-Agent with deckhand's own name.
func userAgent(version string) string { return agentFor("deckhand", version) }

// withUserAgent is c sending userAgent(version) on each request that names
// none. The agent holds the system's description, read from the disk:
// that happens on the first request (a login or a refresh), not while a
// starting client waits for initialize.
func withUserAgent(c *http.Client, version string) *http.Client {
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	named := *c
	named.Transport = agentTransport{base: base, agent: sync.OnceValue(func() string { return userAgent(version) })}
	return &named
}

type agentTransport struct {
	base  http.RoundTripper
	agent func() string
}

func (t agentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context()) // a RoundTripper leaves its request as it was given
		if req.Header == nil {
			req.Header = http.Header{}
		}
		req.Header.Set("User-Agent", t.agent())
	}
	return t.base.RoundTrip(req)
}

// CloseIdleConnections reaches the transport underneath (http.Client's
// CloseIdleConnections looks for it).
func (t agentTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// agentFor is `<name>/<version> (<os> <os version>; <arch>)`.
func agentFor(name, version string) string {
	return headerSafe(name) + "/" + headerSafe(version) + " (" + osDescription() + "; " + archName() + ")"
}

var osDesc = sync.OnceValue(func() string {
	name, ver := osNameVersion()
	return headerSafe(strings.TrimSpace(name + " " + ver))
})

func osDescription() string { return osDesc() }

// osNameVersion is the distribution and its version on Linux (from
// os-release), the system's name and release elsewhere.
func osNameVersion() (string, string) {
	if runtime.GOOS == "linux" {
		if name, ver := osRelease("/etc/os-release"); name != "" {
			return name, ver
		}
	}
	if sys, rel, ok := uname(); ok {
		if runtime.GOOS == "darwin" {
			sys = "Mac OS"
		}
		return sys, rel
	}
	return runtime.GOOS, ""
}

func osRelease(path string) (name, version string) {
	f, err := os.Open(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "NAME":
			name = v
		case "VERSION_ID":
			version = v
		}
	}
	return name, version
}

// archName names the CPU as uname does.
func archName() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "386":
		return "i686"
	default:
		return runtime.GOARCH
	}
}

// headerSafe keeps a header value printable ASCII.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '(' || r == ')' || r == ';' {
			return -1
		}
		return r
	}, s)
}
