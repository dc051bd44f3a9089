package upstreamtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// modelState is the model endpoints' memory. Guarded by Server.mu.
type modelState struct {
	apiKey     string
	codex, api []Reply // scripted replies, next first
	catalog    []CatalogModel
	catalogSet bool // false: ReferenceCatalog
	apiModels  []string
	stalls     int
	turnStates int
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

// apiAuthorized reports whether the request carries the configured key, and
// answers the refusal when it does not: a ChatGPT access token lacks the
// API's scopes, anything else is an incorrect key.
func (s *Server) apiAuthorized(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	ok := s.model.apiKey != "" && bearer(r) == s.model.apiKey
	chatgpt := !ok && s.validAccessLocked(bearer(r), time.Now())
	s.mu.Unlock()
	switch {
	case ok:
		return true
	case chatgpt:
		writeJSON(w, http.StatusUnauthorized, openAIError(
			"You have insufficient permissions for this operation. Missing scopes: api.responses.write. Check that you have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), and if you're using a restricted API key, that it has the necessary scopes.",
			"invalid_request_error", ""))
	default:
		writeAPIUnauthorized(w)
	}
	return false
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
// token, it refuses what the real backend is reported to refuse: a body
// without "store": false and "stream": true, with temperature or
// max_output_tokens, with a "system" input item, or naming a model the plan
// does not serve; a request without a `version` header or one below the
// model's minimal_client_version; a Lite model asked without the Lite header,
// a model without Lite asked with it, and a Lite request without
// reasoning.context "all_turns". It answers with a sticky-routing
// x-codex-turn-state, echoing the one a request carries.
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
	if status, answer := s.refuseCodex(r.Header, body); status != 0 {
		writeJSON(w, status, answer)
		return
	}
	state := r.Header.Get("x-codex-turn-state")
	if state == "" {
		s.mu.Lock()
		s.model.turnStates++
		state = "ts_" + strconv.Itoa(s.model.turnStates)
		s.mu.Unlock()
	}
	w.Header().Set("x-codex-turn-state", state)
	s.writeRateHeaders(w.Header())
	s.serveNext(w, r, &s.model.codex, body)
}

// HeaderLite marks a Responses Lite request.
const HeaderLite = "X-OpenAI-Internal-Codex-Responses-Lite"

// NewerVersionDetail is the backend's 400 detail for a client whose
// version is missing or below the model's minimum.
func NewerVersionDetail(model string) string {
	return "The '" + model + "' model requires a newer version of Codex. Please upgrade to the latest app or CLI and try again."
}

// refuseCodex is the status and body the backend refuses a request with,
// or 0.
func (s *Server) refuseCodex(h http.Header, body map[string]any) (int, any) {
	detail := func(d string) (int, any) { return http.StatusBadRequest, map[string]any{"detail": d} }
	if store, ok := body["store"].(bool); !ok || store {
		return detail("Store must be set to false")
	}
	if stream, _ := body["stream"].(bool); !stream {
		return detail("Stream must be set to true")
	}
	for _, p := range []string{"temperature", "max_output_tokens"} {
		if _, ok := body[p]; ok {
			return detail("Unsupported parameter: " + p)
		}
	}
	if items, ok := body["input"].([]any); ok {
		for _, it := range items {
			if m, _ := it.(map[string]any); m["role"] == "system" {
				return detail("System messages are not allowed")
			}
		}
	}
	if d := unpairedOutput(body); d != "" {
		return detail(d)
	}
	model, _ := body["model"].(string)
	s.mu.Lock()
	entry, served := s.entryLocked(model)
	s.mu.Unlock()
	if !served {
		return detail(NotSupportedDetail(model))
	}
	if v := h.Get("version"); v == "" || versionLess(v, entry.MinimalClientVersion) {
		return detail(NewerVersionDetail(model))
	}
	lite := strings.EqualFold(h.Get(HeaderLite), "true")
	switch {
	case entry.Lite && !lite:
		return http.StatusNotFound, map[string]any{"detail": "Model not found " + model}
	case !entry.Lite && lite:
		return detail("This model is not supported when using X-OpenAI-Internal-Codex-Responses-Lite")
	case lite:
		if reasoning, _ := body["reasoning"].(map[string]any); reasoning["context"] != "all_turns" {
			return http.StatusBadRequest, openAIError("Unsupported value: 'reasoning.context' must be 'all_turns' with Responses Lite.",
				"invalid_request_error", "unsupported_value")
		}
	}
	return 0, nil
}

// handleAPIResponses is the public API's /v1/responses.
func (s *Server) handleAPIResponses(w http.ResponseWriter, r *http.Request) {
	if !s.apiAuthorized(w, r) {
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
	if isTrigger(body) {
		s.serveTrigger(w, r, body)
		return
	}
	s.mu.Lock()
	if len(*queue) == 0 {
		s.mu.Unlock()
		writeJSON(w, http.StatusInternalServerError, openAIError("upstreamtest: no scripted reply", "server_error", ""))
		return
	}
	next := (*queue)[0]
	*queue = (*queue)[1:]
	s.mu.Unlock()
	if next.answer != nil {
		next = next.answer(body)
	}

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

// handleAPIModels is the public API's model list.
func (s *Server) handleAPIModels(w http.ResponseWriter, r *http.Request) {
	if !s.apiAuthorized(w, r) {
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
