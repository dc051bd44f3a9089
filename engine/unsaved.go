package engine

import (
	"encoding/json"

	"github.com/deckhand-dev/deckhand/auth"
)

// A refresh run by a RefreshDelegate's helper that worked but could not be
// written (a full disk) comes back to the parent with the new login, which
// the parent then holds until auth.json takes it (see auth.UnsavedError).

// UnsavedLogin is the wire form of such a refresh in err, for the helper's
// answer; false when err is not one.
func UnsavedLogin(err error) (json.RawMessage, bool) { return auth.EncodeUnsaved(err) }

// UnsavedRefresh is the error a RefreshDelegate returns for a helper's
// unsaved login; nil when raw is not one.
func UnsavedRefresh(raw json.RawMessage, cause string) error {
	if ue := auth.DecodeUnsaved(raw, cause); ue != nil {
		return ue
	}
	return nil
}
