package auth

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"
)

// authNamespace is the claim object where OpenAI puts ChatGPT account data.
const authNamespace = "https://api.openai.com/auth"

// AccountID reads the ChatGPT account id from the tokens' claims, without
// verifying signatures (deckhand only forwards the id; the backend checks the
// token). In each token, in this order: the top-level chatgpt_account_id,
// then the namespaced one, then organizations[0].id. The id token is tried
// first, then the access token. "" when none has one.
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
	if id, _ := claims["chatgpt_account_id"].(string); id != "" {
		return id
	}
	if ns, ok := claims[authNamespace].(map[string]any); ok {
		if id, _ := ns["chatgpt_account_id"].(string); id != "" {
			return id
		}
	}
	if orgs, ok := claims["organizations"].([]any); ok && len(orgs) > 0 {
		if org, ok := orgs[0].(map[string]any); ok {
			if id, _ := org["id"].(string); id != "" {
				return id
			}
		}
	}
	return ""
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
