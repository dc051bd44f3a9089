package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// PKCE is an RFC 7636 S256 pair: Verifier is 86 characters of the unreserved
// set (base64url of 64 random bytes), Challenge is base64url(sha256(Verifier))
// without padding.
type PKCE struct {
	Verifier  string
	Challenge string
}

// NewPKCE makes a fresh verifier and its challenge.
func NewPKCE() (PKCE, error) {
	verifier, err := randomString(64)
	if err != nil {
		return PKCE{}, fmt.Errorf("pkce: %w", err)
	}
	return PKCE{Verifier: verifier, Challenge: challengeOf(verifier)}, nil
}

// NewState makes an OAuth state: 32 random bytes, base64url without padding.
func NewState() (string, error) {
	s, err := randomString(32)
	if err != nil {
		return "", fmt.Errorf("state: %w", err)
	}
	return s, nil
}

func challengeOf(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
