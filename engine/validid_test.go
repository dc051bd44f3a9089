package engine

import (
	"regexp"
	"strings"
	"testing"
)

// TestValidID checks the hand-written id check against the rule it states,
// written as a regexp: what a session id may be, and nothing that could name
// a path outside the store.
func TestValidID(t *testing.T) {
	rule := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)
	cases := []string{
		"", "a", "Z", "0", "_", "-", "ses_01J9ZK", "a-b_c", "-ab", "_ab", "a b", "a.b", "../x", "a/b",
		"é", "a\x00", "a\n", strings.Repeat("a", 128), strings.Repeat("a", 129), "ses_" + strings.Repeat("9", 124),
		"A~", "a:b", "ses\\x",
	}
	for c := byte(0); c < 128; c++ {
		cases = append(cases, "a"+string(c), string(c)+"a")
	}
	for _, id := range cases {
		if got, want := validID(id), rule.MatchString(id); got != want {
			t.Errorf("validID(%q) = %v, want %v", id, got, want)
		}
	}
}
