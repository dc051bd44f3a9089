package engine

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/deckhand-dev/deckhand/auth"
)

// LiveCheck asks the current login's branch for its model catalog (the
// ChatGPT backend's, or the API's model list): no model turn, nothing
// printed of the tokens. It refreshes an expiring ChatGPT login as a turn
// would. It returns the host asked and the number of models listed.
func (e *Engine) LiveCheck(ctx context.Context) (host string, models int, err error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cred, err := e.credential(ctx)
	if err != nil {
		return "", 0, err
	}
	u := strings.TrimRight(e.cfg.APIBaseURL, "/") + "/models"
	parse := parseAPICatalog
	if cred.Type == "oauth" {
		u = e.codexCatalogURL()
		parse = func(body []byte) []Model { return listedModels(parseEntries(body), e.wireVersion()) }
	}
	if p, perr := url.Parse(u); perr == nil {
		host = p.Host
	}
	body, err := e.get(ctx, cred, u)
	if err != nil {
		var up *UpstreamError
		if errors.As(err, &up) && (up.Status == 401 || up.Status == 403) {
			return host, 0, unauthorized(cred)
		}
		return host, 0, err
	}
	return host, len(parse(body)), nil
}

// OAuthOriginator is the originator the OAuth issuer sees.
func (e *Engine) OAuthOriginator() string { return e.cfg.OAuthOriginator }

// CallbackPorts are the ports a browser login listens on, in order: the
// configured one, and the fallback when that is the default.
func (e *Engine) CallbackPorts() []int {
	if e.cfg.OAuthPort == auth.DefaultPort || e.cfg.OAuthPort == 0 {
		return []int{auth.DefaultPort, auth.FallbackPort}
	}
	return []int{e.cfg.OAuthPort}
}

// LoginFile is what InspectLogin found in auth.json.
type LoginFile = auth.Inspection

// InspectLogin reads home's auth.json for a health check without changing
// anything (a broken file is not moved aside).
func InspectLogin(home string) LoginFile { return auth.Inspect(home) }

// AccessExpiry is when a stored ChatGPT login's access token stops working.
func AccessExpiry(c auth.Credential) time.Time { return auth.AccessExpiry(c) }

// RefreshErrorKind and RefreshError carry a refresh failure across the
// refresh helper's process boundary (see auth.RefreshErrorKind).
func RefreshErrorKind(err error) string { return auth.RefreshErrorKind(err) }

// RefreshError rebuilds a failure that RefreshErrorKind named.
func RefreshError(kind, message string) error { return auth.RefreshError(kind, message) }

// ErrNoRefreshHelper is what a RefreshDelegate returns when it cannot run
// the refresh at all: the engine then refreshes in this process.
var ErrNoRefreshHelper = auth.ErrNoDelegate
