package upstreamtest

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signingKey signs the fake JWTs (HS256). It is a constant and public on
// purpose: nothing verifies these tokens but this package.
const signingKey = "deckhand-upstreamtest-not-a-secret"

// AuthClaim is the namespaced claim that carries the ChatGPT account.
const AuthClaim = "https://api.openai.com/auth"

// PlanType is the chatgpt_plan_type of every token the fake issues.
const PlanType = "plus"

// Tokens is a token set as the issuer's /oauth/token returns it.
type Tokens struct {
	IDToken      string
	AccessToken  string
	RefreshToken string
	// ExpiresIn is the access token's lifetime in seconds.
	ExpiresIn int
}

// issuerState is the issuer's memory. Guarded by Server.mu.
type issuerState struct {
	ttl       time.Duration
	accountID string
	codes     map[string]*authCode
	access    map[string]time.Time // access token -> expiry (its exp claim)
	chains    map[string]*chain    // every refresh token ever issued -> its chain
	refreshes int

	failStatus int // FailRefresh; failCode "" means refreshes work
	failCode   string

	authorizeErr     string // SetAuthorizeError; "" means the user consents
	authorizeErrDesc string

	originators map[string]bool // allow-listed originators (besides "Codex*")
	ports       map[int]bool    // registered redirect ports
}

// authCode is an authorization code waiting to be exchanged.
type authCode struct {
	challenge   string
	redirectURI string
	used        bool
}

// chain is one login's line of rotating refresh tokens; only current may be
// used.
type chain struct {
	current string
}

func newIssuerState() issuerState {
	return issuerState{
		ttl:         DefaultTokenTTL,
		accountID:   DefaultAccountID,
		codes:       make(map[string]*authCode),
		access:      make(map[string]time.Time),
		chains:      make(map[string]*chain),
		originators: map[string]bool{"codex_cli_rs": true, "codex_vscode": true, "codex_sdk_ts": true},
		ports:       map[int]bool{1455: true, 1457: true},
	}
}

// SetTokenTTL sets the lifetime (expires_in and exp) of tokens issued from
// now on. Zero or negative gives tokens that are already expired.
func (s *Server) SetTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuer.ttl = d
}

// SetAccountID sets the chatgpt_account_id claim of tokens issued from now on.
func (s *Server) SetAccountID(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuer.accountID = id
}

// RefreshCount is the number of successful refresh_token grants.
func (s *Server) RefreshCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuer.refreshes
}

// FailRefresh makes every refresh from now on fail with status and the error
// code (refresh_token_expired, refresh_token_reused, ...), without using up
// the presented token. An empty code makes refreshes work again.
func (s *Server) FailRefresh(status int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuer.failStatus, s.issuer.failCode = status, code
}

// RevokeAccessTokens makes every access token issued so far invalid at the
// model endpoints, as if the backend had stopped honouring them before their
// exp (for 401-recovery tests). Refresh tokens keep working.
func (s *Server) RevokeAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.issuer.access)
}

// Mint issues a fresh token set, registered as valid (a new refresh chain),
// for tests that write auth.json themselves.
func (s *Server) Mint() Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(&chain{})
}

// validAccessLocked reports whether token is an access token the issuer issued
// that has not expired. The caller holds s.mu.
func (s *Server) validAccessLocked(token string, now time.Time) bool {
	exp, ok := s.issuer.access[token]
	return ok && now.Before(exp)
}

// issueLocked mints a token set and makes its refresh token the current one
// of ch. The caller holds s.mu.
func (s *Server) issueLocked(ch *chain) Tokens {
	n := s.nextSerial()
	now := time.Now()
	ttl := s.issuer.ttl
	exp := time.Unix(now.Add(ttl).Unix(), 0) // the exp claim has whole seconds
	auth := map[string]any{
		"chatgpt_account_id": s.issuer.accountID,
		"chatgpt_plan_type":  PlanType,
		"chatgpt_user_id":    "user_test_1",
	}
	access := signJWT(jwt.MapClaims{
		"iss":     s.srv.URL,
		"aud":     []string{"https://api.openai.com/v1"},
		"sub":     "user_test_1",
		"jti":     fmt.Sprintf("at_%d", n),
		"iat":     now.Unix(),
		"exp":     exp.Unix(),
		"email":   DefaultEmail,
		AuthClaim: auth,
	})
	id := signJWT(jwt.MapClaims{
		"iss":            s.srv.URL,
		"aud":            []string{ClientID},
		"sub":            "user_test_1",
		"jti":            fmt.Sprintf("id_%d", n),
		"iat":            now.Unix(),
		"exp":            exp.Unix(),
		"email":          DefaultEmail,
		"email_verified": true,
		AuthClaim:        auth,
	})
	refresh := "rt_" + rand.Text()
	s.issuer.access[access] = exp
	ch.current = refresh
	s.issuer.chains[refresh] = ch
	expiresIn := int(ttl / time.Second)
	if expiresIn < 0 {
		expiresIn = 0
	}
	return Tokens{IDToken: id, AccessToken: access, RefreshToken: refresh, ExpiresIn: expiresIn}
}

// signJWT signs claims with the fixed fake key. Signing with a constant HMAC
// key cannot fail, so a failure is a bug in this package.
func signJWT(claims jwt.MapClaims) string {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(signingKey))
	if err != nil {
		panic(fmt.Sprintf("upstreamtest: signing a fake JWT: %v", err))
	}
	return tok
}

// tokenBody is the JSON answer of a successful token grant.
func tokenBody(t Tokens) map[string]any {
	return map[string]any{
		"id_token":      t.IDToken,
		"access_token":  t.AccessToken,
		"refresh_token": t.RefreshToken,
		"expires_in":    t.ExpiresIn,
		"token_type":    "Bearer",
		"scope":         "openid profile email offline_access",
	}
}
