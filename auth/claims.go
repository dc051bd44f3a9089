package auth

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// authNamespace is the claim object where OpenAI puts ChatGPT account data.
const authNamespace = "https://api.openai.com/auth"

// AccountID reads the ChatGPT account id from the tokens' claims, without
// verifying signatures (deckhand only forwards the id; the backend checks the
// token): chatgpt_account_id in the https://api.openai.com/auth claim, of the
// id token first, then of the access token. Nothing else is read: an
// organization id is not an account id. "" when neither has one.
func AccountID(idToken, accessToken string) string {
	for _, tok := range []string{idToken, accessToken} {
		if id := accountIDOf(tok); id != "" {
			return id
		}
	}
	return ""
}

func accountIDOf(token string) string {
	claims, ok := parseClaims(token)
	if !ok {
		return ""
	}
	if ns, ok := claims[authNamespace].(map[string]any); ok {
		if id, _ := ns["chatgpt_account_id"].(string); id != "" {
			return id
		}
	}
	return ""
}

// Expiry reads a JWT's own exp claim (unverified). ok is false when the
// token is not a JWT or has no exp.
func Expiry(token string) (time.Time, bool) {
	claims, ok := parseClaims(token)
	if !ok {
		return time.Time{}, false
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return time.Time{}, false
	}
	return exp.Time, true
}

// parseClaims decodes a JWT's claims. An unknown signing algorithm
// (ErrTokenUnverifiable) does not matter here: the claims are filled anyway.
func parseClaims(token string) (jwt.MapClaims, bool) {
	if token == "" {
		return nil, false
	}
	claims := jwt.MapClaims{}
	_, _, err := jwt.NewParser().ParseUnverified(token, claims)
	if err != nil && !errors.Is(err, jwt.ErrTokenUnverifiable) {
		return nil, false
	}
	return claims, true
}
