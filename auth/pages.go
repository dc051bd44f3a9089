package auth

import (
	"fmt"
	"html"
	"net/http"
)

// page writes a small self-contained HTML page; text is escaped here.
func page(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Server", "deckhand")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!doctype html>
<html><head><meta charset="utf-8"><title>deckhand - %s</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}</style>
</head><body><h1>%s</h1><p>%s</p></body></html>
`, html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}

func pageSuccess(w http.ResponseWriter) {
	page(w, http.StatusOK, "Login successful", "You can close this window and return to your editor.")
}

func pageFailed(w http.ResponseWriter, status int, err error) {
	page(w, status, "Login failed", err.Error())
}

func pageStateMismatch(w http.ResponseWriter) {
	page(w, http.StatusBadRequest, "State mismatch",
		"State mismatch: this request did not come from your login, so it was ignored. The login is still waiting; finish it from the link your editor opened.")
}

func pageCancelled(w http.ResponseWriter) {
	page(w, http.StatusOK, "Login cancelled", "Login cancelled. You can close this window.")
}

func pageNotFound(w http.ResponseWriter) {
	page(w, http.StatusNotFound, "Not found", "Not found.")
}

func pageForbidden(w http.ResponseWriter) {
	page(w, http.StatusForbidden, "Forbidden",
		"A web page cannot cancel this login. The login is still waiting.")
}
