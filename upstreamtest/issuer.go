package upstreamtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Refresh error codes the issuer answers with, as OpenAI's issuer does.
const (
	CodeRefreshReused      = "refresh_token_reused"
	CodeRefreshInvalidated = "refresh_token_invalidated"
	CodeRefreshExpired     = "refresh_token_expired"
)

// SetAuthorizeError makes /oauth/authorize from now on send the user back
// with ?error=code&error_description=description&state=... instead of a
// code, as when the user declines. An empty code restores consent.
func (s *Server) SetAuthorizeError(code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuer.authorizeErr, s.issuer.authorizeErrDesc = code, description
}

// handleAuthorize plays the user who logs in and consents: it checks the
// request as the real issuer would and redirects to redirect_uri with a new
// code and the state.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if reason := checkAuthorize(q); reason != "" {
		http.Error(w, "upstreamtest: bad authorize request: "+reason, http.StatusBadRequest)
		return
	}
	if reason := s.checkAllowList(q); reason != "" {
		writeConsentError(w, reason)
		return
	}
	redirect, _ := url.Parse(q.Get("redirect_uri")) // checked above
	back := redirect.Query()
	back.Set("state", q.Get("state"))

	s.mu.Lock()
	if s.issuer.authorizeErr != "" {
		back.Set("error", s.issuer.authorizeErr)
		back.Set("error_description", s.issuer.authorizeErrDesc)
	} else {
		code := "ac_" + rand.Text()
		s.issuer.codes[code] = &authCode{challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri")}
		back.Set("code", code)
	}
	s.mu.Unlock()

	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// checkAuthorize returns why an authorize query is refused, or "".
func checkAuthorize(q url.Values) string {
	switch {
	case q.Get("response_type") != "code":
		return "response_type must be code"
	case q.Get("client_id") != ClientID:
		return "unknown client_id"
	case !loopbackCallback(q.Get("redirect_uri")):
		return "redirect_uri must be http://localhost:<port>/auth/callback"
	case !strings.Contains(" "+q.Get("scope")+" ", " offline_access "):
		return "scope must include offline_access"
	case q.Get("code_challenge_method") != "S256":
		return "code_challenge_method must be S256"
	case q.Get("code_challenge") == "":
		return "code_challenge is required"
	case q.Get("state") == "":
		return "state is required"
	}
	return ""
}

// checkAllowList is the issuer's allow-list check tied to the client id:
// the originator must be one it knows, and the redirect port one registered
// for the client. The real issuer ends either failure at its consent screen
// with error_code missing_required_parameter, although every parameter is
// present.
func (s *Server) checkAllowList(q url.Values) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	orig := q.Get("originator")
	if !s.issuer.originators[orig] && !strings.HasPrefix(orig, "Codex") {
		return "originator " + strconv.Quote(orig) + " is not allow-listed for this client"
	}
	u, _ := url.Parse(q.Get("redirect_uri")) // checkAuthorize parsed it
	port, _ := strconv.Atoi(u.Port())
	if !s.issuer.ports[port] {
		return "redirect port " + strconv.Quote(u.Port()) + " is not registered for this client"
	}
	return ""
}

// CodeMissingParameter is the error code of the issuer's consent screen for
// an authorize request it refuses by allow-list.
const CodeMissingParameter = "missing_required_parameter"

// writeConsentError is the consent screen's error page.
func writeConsentError(w http.ResponseWriter, why string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = fmt.Fprintf(w, `<!doctype html>
<html><head><title>Error - OpenAI</title></head>
<body><h1>Oops!</h1><p>An error occurred during authentication (%s). Please try again.</p>
<p>error_code: %s</p><!-- upstreamtest: %s --></body></html>
`, CodeMissingParameter, CodeMissingParameter, html.EscapeString(why))
}

// AllowOriginator adds an originator to the issuer's allow-list (by default
// the official clients': codex_cli_rs, codex_vscode, codex_sdk_ts and any
// starting with "Codex").
func (s *Server) AllowOriginator(o string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuer.originators[o] = true
}

// AllowRedirectPort registers a callback port for the client beside the
// official 1455 and 1457, as a test that listens elsewhere needs.
func (s *Server) AllowRedirectPort(port int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuer.ports[port] = true
}

// loopbackCallback reports whether raw is an http URL on a loopback host
// whose path is /auth/callback, the only redirect the Codex client may use.
func loopbackCallback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Path != "/auth/callback" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// handleToken serves both grants of /oauth/token: the code exchange as a
// form post, the refresh as a form post (opencode) or a JSON body (the
// official CLI, with refresh_reason).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	var form url.Values
	switch {
	case isForm(r.Header):
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "unparsable form"})
			return
		}
		form = r.PostForm
	case isJSON(r.Header):
		var m map[string]string
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "the JSON body must be an object of strings"})
			return
		}
		form = url.Values{}
		for k, v := range m {
			form.Set(k, v)
		}
		if form.Get("grant_type") != "refresh_token" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "the code exchange takes application/x-www-form-urlencoded"})
			return
		}
		switch form.Get("refresh_reason") {
		case "", "proactive_expiry", "unauthorized_recovery":
		default:
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "unknown refresh_reason"})
			return
		}
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"error":             "invalid_request",
			"error_description": "the token endpoint takes application/x-www-form-urlencoded or application/json",
		})
		return
	}
	switch form.Get("grant_type") {
	case "authorization_code":
		s.exchangeCode(w, form)
	case "refresh_token":
		s.refresh(w, form)
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type"})
	}
}

// exchangeCode is the authorization_code grant, PKCE checked.
func (s *Server) exchangeCode(w http.ResponseWriter, form url.Values) {
	tokens, reason := s.redeemCode(form)
	if reason != "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": reason})
		return
	}
	writeJSON(w, http.StatusOK, tokenBody(tokens))
}

func (s *Server) redeemCode(form url.Values) (Tokens, string) {
	if form.Get("client_id") != ClientID {
		return Tokens{}, "unknown client_id"
	}
	verifier := form.Get("code_verifier")
	if !validVerifier(verifier) {
		return Tokens{}, "code_verifier must be 43 to 128 unreserved characters"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ac, ok := s.issuer.codes[form.Get("code")]
	switch {
	case !ok:
		return Tokens{}, "unknown authorization code"
	case ac.used:
		return Tokens{}, "authorization code already used"
	case form.Get("redirect_uri") != ac.redirectURI:
		return Tokens{}, "redirect_uri does not match the authorization request"
	case S256(verifier) != ac.challenge:
		return Tokens{}, "code_verifier does not match the code_challenge"
	}
	ac.used = true
	return s.issueLocked(&chain{}), ""
}

// refresh is the refresh_token grant. Refresh tokens rotate: only the newest
// of a chain is accepted, and an older one is "already used".
func (s *Server) refresh(w http.ResponseWriter, form url.Values) {
	if form.Get("client_id") != ClientID {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_client", "error_description": "unknown client_id"})
		return
	}
	presented := form.Get("refresh_token")
	if presented == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "refresh_token is required"})
		return
	}
	s.mu.Lock()
	status, code := http.StatusOK, ""
	var tokens Tokens
	ch, known := s.issuer.chains[presented]
	switch {
	case s.issuer.failCode != "":
		status, code = s.issuer.failStatus, s.issuer.failCode
	case !known:
		status, code = http.StatusUnauthorized, CodeRefreshInvalidated
	case ch.current != presented:
		status, code = http.StatusUnauthorized, CodeRefreshReused
	default:
		tokens = s.issueLocked(ch)
		s.issuer.refreshes++
	}
	s.mu.Unlock()
	if code != "" {
		writeJSON(w, status, openAIError(refreshMessage(code), "invalid_request_error", code))
		return
	}
	writeJSON(w, http.StatusOK, tokenBody(tokens))
}

// refreshMessage is the issuer's text for a refresh error code.
func refreshMessage(code string) string {
	switch code {
	case CodeRefreshReused:
		return "Your refresh token has already been used to generate a new access token. Please try signing in again."
	case CodeRefreshInvalidated:
		return "Your refresh token has been invalidated. Please try signing in again."
	case CodeRefreshExpired:
		return "Your refresh token has expired. Please try signing in again."
	}
	return "upstreamtest: refresh refused (" + code + ")"
}

// S256 is the PKCE S256 challenge of verifier: base64url(sha256(verifier))
// without padding.
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validVerifier checks RFC 7636's shape of a code_verifier.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range v {
		unreserved := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
		if !unreserved {
			return false
		}
	}
	return true
}
