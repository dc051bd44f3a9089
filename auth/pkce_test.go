package auth

import (
	"regexp"
	"testing"
)

var unreserved = regexp.MustCompile(`^[A-Za-z0-9\-._~]+$`)

func TestNewPKCE(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		p, err := NewPKCE()
		if err != nil {
			t.Fatal(err)
		}
		if n := len(p.Verifier); n < 43 || n > 128 {
			t.Errorf("verifier length %d, want 43..128", n)
		}
		if !unreserved.MatchString(p.Verifier) {
			t.Errorf("verifier %q has characters outside the unreserved set", p.Verifier)
		}
		if p.Challenge != challengeOf(p.Verifier) {
			t.Errorf("challenge %q does not match its verifier", p.Challenge)
		}
		if len(p.Challenge) != 43 || !unreserved.MatchString(p.Challenge) {
			t.Errorf("challenge %q is not unpadded base64url of 32 bytes", p.Challenge)
		}
		if seen[p.Verifier] {
			t.Fatal("verifier repeated")
		}
		seen[p.Verifier] = true
	}
}

func TestChallengeRFC7636Vector(t *testing.T) {
	// RFC 7636, appendix B.
	got := challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
	if want := "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"; got != want {
		t.Errorf("challenge = %q, want %q", got, want)
	}
}

func TestNewState(t *testing.T) {
	a, err := NewState()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewState()
	if len(a) != 43 || !unreserved.MatchString(a) {
		t.Errorf("state %q is not unpadded base64url of 32 bytes", a)
	}
	if a == b {
		t.Error("two states are equal")
	}
}
