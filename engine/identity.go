package engine

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"sync"
)

// userAgent is `deckhand/<version> (<os> <os version>; <arch>)`, the shape
// of the official CLI's User-Agent with deckhand's own name.
func userAgent(version string) string { return agentFor("deckhand", version) }

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
