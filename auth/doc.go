// Package auth holds the mechanics of logging in to OpenAI: browser PKCE with a
// localhost callback, device code, token exchange and refresh, JWT claims, and
// the auth.json store with its file lock.
//
// It decides nothing about when to log in or which credential to use; the
// engine does. It imports no other deckhand package. Tokens, keys,
// authorization codes and PKCE verifiers never appear in its errors or logs.
package auth
