package engine

import (
	"encoding/json"

	"github.com/deckhand-dev/deckhand/tools"
)

// guarded reports whether a read-only call still needs the user's
// permission: it names a path in another program's credential store.
func (t *turn) guarded(c Item) bool {
	_, ok := tools.NeedsPermission(t.s.root, c.Name, json.RawMessage(c.Arguments))
	return ok
}
