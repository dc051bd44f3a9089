package upstreamtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// modelState is the model endpoints' memory. Guarded by Server.mu.
type modelState struct {
	apiKey      string
	codex, api  []Reply // scripted replies, next first
	codexModels []string
	apiModels   []string
	stalls      int
}

// SetAPIKey sets the only key /v1 accepts. Until it is set, /v1 refuses
// every request.
func (s *Server) SetAPIKey(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.model.apiKey = k
}

// PushCodex queues replies for <codex>/responses, answered in order.
func (s *Server) PushCodex(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.model.codex = append(s.model.codex, r...)
}

// PushAPI queues replies for /v1/responses, answered in order.
func (s *Server) PushAPI(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.model.api = append(s.model.api, r...)
}

// Pending is how many queued replies are still unused on each endpoint.
func (s *Server) Pending() (codex, api int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.model.codex), len(s.model.api)
}

// SetCodexModels sets the catalog <codex>/models serves; with no slugs it
// answers 404, as when the backend has no catalog for the client.
func (s *Server) SetCodexModels(slugs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.model.codexModels = append([]string(nil), slugs...)
}

// SetAPIModels sets the ids /v1/models lists (empty by default).
func (s *Server) SetAPIModels(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.model.apiModels = append([]string(nil), ids...)
}

// Stalled delivers one value each time a Stall step starts holding its
// connection (up to 64 unread).
func (s *Server) Stalled() <-chan struct{} { return s.stalls }

// StallCount is how many Stall steps have started holding a connection.
func (s *Server) StallCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.model.stalls
}

func bearer(r *http.Request) string {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return tok
}

// codexAuthorized reports whether the request carries a live access token.
func (s *Server) codexAuthorized(r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.validAccessLocked(bearer(r), time.Now())
}

// apiAuthorized reports whether the request carries the configured key.
func (s *Server) apiAuthorized(r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.model.apiKey != "" && bearer(r) == s.model.apiKey
}

func writeCodexUnauthorized(w http.ResponseWriter) {
	writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": "Could not validate your token."})
}

func writeAPIUnauthorized(w http.ResponseWriter) {
	writeJSON(w, http.StatusUnauthorized, openAIError(
		"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
		"invalid_request_error", "invalid_api_key"))
}

// handleCodexResponses is the ChatGPT backend's /responses. Besides the
// token, it insists on what the real backend insists on: a JSON body with
// "store": false, "stream": true and non-empty instructions.
func (s *Server) handleCodexResponses(w http.ResponseWriter, r *http.Request) {
	if !s.codexAuthorized(r) {
		writeCodexUnauthorized(w)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "The request body is not valid JSON."})
		return
	}
	if store, ok := body["store"].(bool); !ok || store {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "Store must be set to false"})
		return
	}
	if stream, _ := body["stream"].(bool); !stream {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "Stream must be set to true"})
		return
	}
	if instr, _ := body["instructions"].(string); strings.TrimSpace(instr) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "Instructions are required"})
		return
	}
	s.serveNext(w, r, &s.model.codex, body)
}

// handleAPIResponses is the public API's /v1/responses.
func (s *Server) handleAPIResponses(w http.ResponseWriter, r *http.Request) {
	if !s.apiAuthorized(r) {
		writeAPIUnauthorized(w)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, openAIError("We could not parse the JSON body of your request.", "invalid_request_error", ""))
		return
	}
	s.serveNext(w, r, &s.model.api, body)
}

// serveNext answers with the next reply of queue, or 500 if there is none.
func (s *Server) serveNext(w http.ResponseWriter, r *http.Request, queue *[]Reply, body map[string]any) {
	s.mu.Lock()
	if len(*queue) == 0 {
		s.mu.Unlock()
		writeJSON(w, http.StatusInternalServerError, openAIError("upstreamtest: no scripted reply", "server_error", ""))
		return
	}
	next := (*queue)[0]
	*queue = (*queue)[1:]
	s.mu.Unlock()

	model, _ := body["model"].(string)
	if model == "" {
		model = DefaultModel
	}
	next, ok := s.admit(w, body, next)
	if !ok {
		return
	}
	s.serveReply(w, r, next, model)
}

// handleCodexModels is the backend's model catalog.
func (s *Server) handleCodexModels(w http.ResponseWriter, r *http.Request) {
	if !s.codexAuthorized(r) {
		writeCodexUnauthorized(w)
		return
	}
	s.mu.Lock()
	slugs := append([]string(nil), s.model.codexModels...)
	s.mu.Unlock()
	if len(slugs) == 0 {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
		return
	}
	models := make([]any, len(slugs))
	for i, slug := range slugs {
		models[i] = map[string]any{"slug": slug, "display_name": displayName(slug)}
		if w := s.catalogWindow(); w > 0 {
			models[i].(map[string]any)["context_window"] = w
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
}

// handleAPIModels is the public API's model list.
func (s *Server) handleAPIModels(w http.ResponseWriter, r *http.Request) {
	if !s.apiAuthorized(r) {
		writeAPIUnauthorized(w)
		return
	}
	s.mu.Lock()
	ids := append([]string(nil), s.model.apiModels...)
	s.mu.Unlock()
	data := make([]any, len(ids))
	for i, id := range ids {
		data[i] = map[string]any{"id": id, "object": "model", "created": 0, "owned_by": "openai"}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

// displayName makes "GPT-5.3-Codex" of "gpt-5.3-codex".
func displayName(slug string) string {
	parts := strings.Split(slug, "-")
	for i, p := range parts {
		if p == "gpt" {
			parts[i] = "GPT"
			continue
		}
		if r, size := utf8.DecodeRuneInString(p); size > 0 {
			parts[i] = string(unicode.ToUpper(r)) + p[size:]
		}
	}
	return strings.Join(parts, "-")
}
