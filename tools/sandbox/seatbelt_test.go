package sandbox

import (
	"strings"
	"testing"
)

func TestProfile(t *testing.T) {
	p := Policy{Writable: []string{"/Users/me/proj", "/private/tmp"}, Hidden: []string{`/Users/me/Library/Application Support/deck"hand`}}
	prof := Profile(p)
	for _, want := range []string{
		"(version 1)\n(deny default)\n",
		"(allow file-read*)\n",
		"(allow file-write*\n  (subpath \"/Users/me/proj\")\n  (subpath \"/private/tmp\")\n)\n",
		"(literal \"/dev/null\")",
		`(deny file-read* file-write* (subpath "/Users/me/Library/Application Support/deck\"hand"))`,
	} {
		if !strings.Contains(prof, want) {
			t.Errorf("profile lacks %q:\n%s", want, prof)
		}
	}
	// The last matching rule decides: the hidden folder's denial must
	// come after the allowances.
	if strings.LastIndex(prof, "(deny file-read*") < strings.LastIndex(prof, "(allow") {
		t.Errorf("the hidden folder is denied before an allowance that would win over it:\n%s", prof)
	}
	if strings.Contains(prof, "network") {
		t.Errorf("a closed-network profile allows the network:\n%s", prof)
	}
	if open := Profile(Policy{Network: true}); !strings.Contains(open, "(allow network* system-socket)") {
		t.Errorf("an open-network profile does not allow it:\n%s", open)
	}
	if ro := Profile(Policy{}); strings.Contains(ro, "(allow file-write*") {
		t.Errorf("a read-only profile allows writes:\n%s", ro)
	}
}

func TestWrap(t *testing.T) {
	p := Policy{Writable: []string{"/w"}}
	ll := Sandbox{Kind: Landlock, self: "/opt/deckhand"}
	argv, err := ll.Wrap(p, []string{"bash", "-c", "make"})
	want := []string{"/opt/deckhand", "sandbox-exec", "--policy", p.Encode(), "--", "bash", "-c", "make"}
	if err != nil || strings.Join(argv, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("landlock argv %q, %v", argv, err)
	}
	// What the re-exec parses back is the policy and the command.
	back, cmd, err := parseArgs(argv[2:])
	if err != nil || back.Writable[0] != "/w" || strings.Join(cmd, " ") != "bash -c make" {
		t.Errorf("re-exec reads %+v %q %v", back, cmd, err)
	}
	sb := Sandbox{Kind: Seatbelt}
	argv, err = sb.Wrap(p, []string{"ls"})
	if err != nil || len(argv) != 5 || argv[0] != "/usr/bin/sandbox-exec" || argv[1] != "-p" || argv[2] != Profile(p) || argv[3] != "--" || argv[4] != "ls" {
		t.Errorf("seatbelt argv %q, %v", argv, err)
	}
	if _, err := Off("turned off").Wrap(p, []string{"ls"}); err == nil || !strings.Contains(err.Error(), "turned off") {
		t.Errorf("no sandbox wraps: %v", err)
	}
	if _, err := ll.Wrap(p, nil); err == nil {
		t.Error("an empty command was wrapped")
	}
}
