package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.uber.org/zap"
)

// OAuth constants of the public Codex client that deckhand logs in as.
const (
	ClientID      = "app_EMoamEEZ73f0CkXaXp7hrann"
	Scope         = "openid profile email offline_access api.connectors.read api.connectors.invoke"
	DefaultIssuer = "https://auth.openai.com"
	// DefaultOriginator is the originator the issuer knows for ClientID: it
	// checks the authorize URL's originator against an allow-list tied to the
	// client id, and the official Codex CLI's value is the one known to pass.
	DefaultOriginator = "codex_cli_rs"
	// DefaultPort is the browser flow's callback port registered for the
	// client, and FallbackPort the registered one used when it is busy.
	DefaultPort  = 1455
	FallbackPort = 1457
)

// Why a refresh is made, sent as the refresh request's refresh_reason.
const (
	ReasonProactive    = "proactive_expiry"      // the access token is about to expire
	ReasonUnauthorized = "unauthorized_recovery" // the model service answered 401
)

const (
	defaultHTTPTimeout = 30 * time.Second
	defaultExpiresIn   = time.Hour
	maxBodyBytes       = 1 << 20
)

// Credential types, as stored in auth.json.
const (
	TypeOAuth = "oauth"
	TypeAPI   = "api"
)

// Client talks to the OAuth issuer. The zero value talks to DefaultIssuer.
type Client struct {
	Issuer     string       // e.g. https://auth.openai.com (no trailing slash needed)
	HTTP       *http.Client // nil = a client with a 30 s timeout
	Originator string       // the authorize URL's originator param and the issuer requests' `originator` header; "" = DefaultOriginator
	UserAgent  string       // e.g. "deckhand/0.1.0"; "" = Go's default
	Log        *zap.Logger  // hears about retried device-login polls; nil = silent
}

// Tokens is what the token endpoint answers.
type Tokens struct {
	IDToken      string
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration // 0 when the issuer did not say
}

// Credential is what is stored and used: the openai entry of auth.json in a
// typed form.
type Credential struct {
	Type string // TypeOAuth or TypeAPI

	// oauth
	Access    string
	Refresh   string
	Expires   time.Time // millisecond precision, as stored
	AccountID string

	// api
	Key string
}

// Credential turns tokens into a stored oauth credential: it expires at
// now+ExpiresIn (an hour when the issuer did not say; the field opencode
// reads) and its account id is keptAccountID, the one chosen at login, or
// when there is none the tokens' own.
func (t Tokens) Credential(now time.Time, keptAccountID string) Credential {
	in := t.ExpiresIn
	if in <= 0 {
		in = defaultExpiresIn
	}
	account := keptAccountID
	if account == "" {
		account = AccountID(t.IDToken, t.AccessToken)
	}
	return Credential{
		Type:      TypeOAuth,
		Access:    t.AccessToken,
		Refresh:   t.RefreshToken,
		Expires:   time.UnixMilli(now.Add(in).UnixMilli()),
		AccountID: account,
	}
}

func (c *Client) issuer() string {
	if c.Issuer == "" {
		return DefaultIssuer
	}
	return strings.TrimRight(c.Issuer, "/")
}

func (c *Client) originator() string {
	if c.Originator == "" {
		return DefaultOriginator
	}
	return c.Originator
}

func (c *Client) log() *zap.Logger {
	if c.Log == nil {
		return zap.NewNop()
	}
	return c.Log
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: defaultHTTPTimeout}
}

// AuthorizeURL is the browser sign-in page for a PKCE login, with its query
// parameters in the order the Codex client sends them.
func (c *Client) AuthorizeURL(redirectURI string, p PKCE, state string) string {
	params := [][2]string{
		{"response_type", "code"},
		{"client_id", ClientID},
		{"redirect_uri", redirectURI},
		{"code_challenge", p.Challenge},
		{"code_challenge_method", "S256"},
		{"state", state},
		{"scope", Scope},
		{"id_token_add_organizations", "true"},
		{"codex_cli_simplified_flow", "true"},
		{"originator", c.originator()},
	}
	var b strings.Builder
	b.WriteString(c.issuer())
	b.WriteString("/oauth/authorize?")
	for i, kv := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
	}
	return b.String()
}

// ExchangeCode trades an authorization code and its PKCE verifier for tokens.
func (c *Client) ExchangeCode(ctx context.Context, code, redirectURI, verifier string) (Tokens, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"client_id":     {ClientID},
		"code_verifier": {verifier},
	}
	t, err := c.token(ctx, "exchange code", form, code, verifier)
	if err != nil {
		return Tokens{}, err
	}
	if t.RefreshToken == "" {
		return Tokens{}, fmt.Errorf("exchange code: the OpenAI login server sent no refresh token; log in again")
	}
	return t, nil
}

// Refresh trades a refresh token for new tokens, as the official CLI does: a
// JSON body saying why (ReasonProactive or ReasonUnauthorized; "" is
// ReasonProactive). The answer may carry a new refresh token (they rotate)
// or none (keep the old one).
func (c *Client) Refresh(ctx context.Context, refreshToken, reason string) (Tokens, error) {
	if refreshToken == "" {
		return Tokens{}, fmt.Errorf("refresh token: none is stored: %w", ErrReauth)
	}
	if reason == "" {
		reason = ReasonProactive
	}
	body, err := json.Marshal(map[string]string{
		"client_id":      ClientID,
		"grant_type":     "refresh_token",
		"refresh_token":  refreshToken,
		"refresh_reason": reason,
	})
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh token: %w", err)
	}
	return c.tokenRequest(ctx, "refresh token", "application/json", body, refreshToken)
}

// token posts a form to /oauth/token. secrets are redacted from any text the
// issuer sends back before it reaches an error.
func (c *Client) token(ctx context.Context, op string, form url.Values, secrets ...string) (Tokens, error) {
	return c.tokenRequest(ctx, op, "application/x-www-form-urlencoded", []byte(form.Encode()), secrets...)
}

func (c *Client) tokenRequest(ctx context.Context, op, contentType string, payload []byte, secrets ...string) (Tokens, error) {
	status, body, err := c.post(ctx, "/oauth/token", contentType, payload)
	if err != nil {
		return Tokens{}, fmt.Errorf("%s: %w", op, err)
	}
	if status/100 != 2 {
		return Tokens{}, parseTokenError(op, status, body, secrets...)
	}
	var raw struct {
		IDToken      string          `json:"id_token"`
		AccessToken  string          `json:"access_token"`
		RefreshToken string          `json:"refresh_token"`
		ExpiresIn    json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Tokens{}, fmt.Errorf("%s: the OpenAI login server sent an unreadable answer; try again", op)
	}
	if raw.AccessToken == "" {
		return Tokens{}, fmt.Errorf("%s: the OpenAI login server sent no access token; try again", op)
	}
	secs, _ := flexInt(raw.ExpiresIn)
	return Tokens{
		IDToken:      raw.IDToken,
		AccessToken:  raw.AccessToken,
		RefreshToken: raw.RefreshToken,
		ExpiresIn:    time.Duration(secs) * time.Second,
	}, nil
}

// post sends one request to the issuer and reads at most maxBodyBytes back.
func (c *Client) post(ctx context.Context, path, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.issuer()+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("originator", c.originator())
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read answer: %w", err)
	}
	return resp.StatusCode, data, nil
}

// parseTokenError reads an error body of any of the shapes the issuer uses:
// {"error":"code","error_description":"..."}, {"error":{"code","message"}},
// or {"code":"...","message":"..."}.
func parseTokenError(op string, status int, body []byte, secrets ...string) *TokenError {
	te := &TokenError{Op: op, Status: status}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return te
	}
	str := func(raw json.RawMessage) string {
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	}
	var desc string
	if raw, ok := m["error"]; ok {
		if s := str(raw); s != "" {
			te.Code = s
		} else {
			var obj struct{ Code, Type, Message string }
			if json.Unmarshal(raw, &obj) == nil {
				te.Code = obj.Code
				if te.Code == "" {
					te.Code = obj.Type
				}
				desc = obj.Message
			}
		}
	}
	if te.Code == "" {
		te.Code = str(m["code"])
	}
	for _, key := range []string{"error_description", "message", "detail"} {
		if desc != "" {
			break
		}
		desc = str(m[key])
	}
	te.Code = clean(te.Code, 80, secrets)
	te.Description = clean(desc, 300, secrets)
	return te
}

// clean makes issuer text safe to show: one line, bounded, no secrets.
func clean(s string, limit int, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "…"
	}
	return s
}

// flexInt reads a JSON number or a string holding one ("5").
func flexInt(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, false
	}
	return int64(f), true
}
