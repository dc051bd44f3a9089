package upstreamtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Long sessions: a context window the fake enforces, compaction by trigger
// on both branches (a /responses request whose last input item is
// {"type":"compaction_trigger"} is answered with one compaction item), and
// the public API's compaction endpoint (/v1/responses/compact). The ChatGPT
// backend's /responses/compact answers 404, as the real one is reported to.
//
// With a window set (SetContextWindow), a request is measured as the real
// services roughly do, about four bytes of its input and instructions to a
// token: one over the window is refused with 400 context_length_exceeded,
// and a streamed step that scripts no usage reports its measured input
// tokens. The compaction endpoint answers what the real one does: the
// conversation's user messages (the latest, and the ones before it up to a
// fifth of the window) followed by one compaction item whose encrypted_content stands
// for the rest.

// Compaction paths.
const (
	PathCodexCompact = "/backend-api/codex/responses/compact"
	PathAPICompact   = "/v1/responses/compact"
)

// compactState is the fake's memory for long sessions. Guarded by Server.mu.
type compactState struct {
	triggers   []Reply // scripted answers to compaction triggers, next first
	noTrigger  bool    // compaction triggers are refused
	window     int     // tokens; 0 means no limit
	notServed  bool    // the compaction endpoint answers 404
	compacted  int     // compactions answered
	triggered  int     // compaction triggers received
	maxRequest int     // the largest /responses request measured, in tokens
}

// SetContextWindow makes every model's context window tokens long (0: no
// limit), and lists it as context_window in the Codex catalog (which, as
// the reference catalog, lists none otherwise).
func (s *Server) SetContextWindow(tokens int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compact.window = tokens
}

// ServeCompaction says whether the compaction endpoint is served (it is by
// default); when it is not, it answers 404 as a backend without it would.
func (s *Server) ServeCompaction(served bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compact.notServed = !served
}

// Compactions is how many compactions were answered (by trigger or by the
// public API's endpoint).
func (s *Server) Compactions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.compact.compacted
}

// MaxRequestTokens is the size of the largest /responses request measured
// while a context window was set.
func (s *Server) MaxRequestTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.compact.maxRequest
}

// measure is the fake's token count of a request body: about four bytes of
// input and instructions to a token.
func measure(body map[string]any) int {
	in, _ := json.Marshal(body["input"])
	instr, _ := body["instructions"].(string)
	return (len(in) + len(instr) + 3) / 4
}

// admit checks a /responses request against the context window. It answers
// the refusal itself and returns false, or returns the reply to serve, its
// usage filled with the measured input when the script left it at zero.
func (s *Server) admit(w http.ResponseWriter, body map[string]any, rep Reply) (Reply, bool) {
	s.mu.Lock()
	window := s.compact.window
	tokens := measure(body)
	if window > 0 && tokens > s.compact.maxRequest {
		s.compact.maxRequest = tokens
	}
	s.mu.Unlock()
	if window <= 0 {
		return rep, true
	}
	if tokens > window {
		writeJSON(w, http.StatusBadRequest, openAIError(
			fmt.Sprintf("Your input exceeds the context window of this model (%d tokens, the window is %d). Please adjust your input and try again.", tokens, window),
			"invalid_request_error", "context_length_exceeded"))
		return rep, false
	}
	if rep.step != nil && rep.step.usage == [2]int{} {
		sc := *rep.step
		sc.usage = [2]int{tokens, 0}
		rep.step = &sc
	}
	return rep, true
}

// handleCodexCompact answers 404: the ChatGPT backend serves no
// compaction endpoint (its clients compact by trigger).
func (s *Server) handleCodexCompact(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
}

// isTrigger says whether a /responses body asks for a compaction.
func isTrigger(body map[string]any) bool {
	items, _ := body["input"].([]any)
	if len(items) == 0 {
		return false
	}
	last, _ := items[len(items)-1].(map[string]any)
	return last["type"] == "compaction_trigger"
}

// PushCompaction queues answers to compaction triggers (on either branch),
// used in order before the fake's own answer.
func (s *Server) PushCompaction(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compact.triggers = append(s.compact.triggers, r...)
}

// RefuseCompactionTrigger makes the fake answer compaction triggers with
// 400, as a service without compaction by trigger would.
func (s *Server) RefuseCompactionTrigger(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compact.noTrigger = refuse
}

// Triggers is how many compaction triggers were received.
func (s *Server) Triggers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.compact.triggered
}

// serveTrigger answers a compaction trigger: a scripted answer, or one
// compaction item standing for the whole input.
func (s *Server) serveTrigger(w http.ResponseWriter, r *http.Request, body map[string]any) {
	model, _ := body["model"].(string)
	s.mu.Lock()
	s.compact.triggered++
	refuse := s.compact.noTrigger
	var rep Reply
	scripted := len(s.compact.triggers) > 0
	if scripted {
		rep = s.compact.triggers[0]
		s.compact.triggers = s.compact.triggers[1:]
	}
	s.mu.Unlock()
	switch {
	case scripted:
	case refuse:
		writeJSON(w, http.StatusBadRequest, openAIError("Invalid value: 'compaction_trigger'.", "invalid_request_error", "invalid_value"))
		return
	default:
		items, _ := body["input"].([]any)
		summary := fmt.Sprintf("compacted %d items of %d tokens", len(items)-1, measure(body))
		s.mu.Lock()
		s.compact.compacted++
		s.mu.Unlock()
		rep = Step().Compaction(base64.StdEncoding.EncodeToString([]byte(summary))).Usage(measure(body), len(summary)/4).Reply()
	}
	s.serveReply(w, r, rep, model)
}

func (s *Server) handleAPICompact(w http.ResponseWriter, r *http.Request) {
	if !s.apiAuthorized(w, r) {
		return
	}
	s.serveCompact(w, r, false)
}

// serveCompact answers a compaction request as the real endpoint does.
// On the Codex branch, a model the plan does not serve is refused as for
// /responses.
func (s *Server) serveCompact(w http.ResponseWriter, r *http.Request, codex bool) {
	s.mu.Lock()
	notServed, window := s.compact.notServed, s.compact.window
	s.mu.Unlock()
	if notServed {
		writeJSON(w, http.StatusNotFound, openAIError("Invalid URL (POST "+r.URL.Path+")", "invalid_request_error", ""))
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, openAIError("We could not parse the JSON body of your request.", "invalid_request_error", ""))
		return
	}
	model, _ := body["model"].(string)
	items, isList := body["input"].([]any)
	switch {
	case model == "":
		writeJSON(w, http.StatusBadRequest, openAIError("Missing required parameter: 'model'.", "invalid_request_error", "missing_required_parameter"))
		return
	case !isList || len(items) == 0:
		writeJSON(w, http.StatusBadRequest, openAIError("Invalid 'input': expected a non-empty array of items.", "invalid_request_error", "invalid_value"))
		return
	}
	if codex {
		s.mu.Lock()
		served := s.servedLocked(model)
		s.mu.Unlock()
		if !served {
			writeJSON(w, http.StatusBadRequest, map[string]any{"detail": NotSupportedDetail(model)})
			return
		}
	}
	// Keep the most recent user messages within a fifth of the window (all
	// of them without a window), oldest first.
	budget := window * 4 / 5
	if window <= 0 {
		budget = 1 << 30
	}
	var kept []any
	for i := len(items) - 1; i >= 0; i-- {
		it, _ := items[i].(map[string]any)
		if it["role"] != "user" {
			continue
		}
		b, _ := json.Marshal(it)
		if budget -= len(b); budget < 0 && len(kept) > 0 {
			break // the latest user message always stays
		}
		kept = append([]any{obj{"type": "message", "role": "user", "content": it["content"]}}, kept...)
	}
	s.mu.Lock()
	s.compact.compacted++
	n := s.nextSerial()
	s.mu.Unlock()
	summary := fmt.Sprintf("compacted %d items of %d tokens", len(items), measure(body))
	out := append(kept, obj{
		"id": fmt.Sprintf("cmp_%d", n), "type": "compaction",
		"encrypted_content": base64.StdEncoding.EncodeToString([]byte(summary)),
	})
	after, _ := json.Marshal(out)
	writeJSON(w, http.StatusOK, obj{
		"id": fmt.Sprintf("resp_cmp_%d", n), "object": "response.compaction", "created_at": time.Now().Unix(),
		"output": out,
		"usage": obj{
			"input_tokens": measure(body), "input_tokens_details": obj{"cached_tokens": 0},
			"output_tokens": len(after) / 4, "output_tokens_details": obj{"reasoning_tokens": 0},
			"total_tokens": measure(body) + len(after)/4,
		},
	})
}

// catalogWindow is the context_window the Codex catalog lists, 0 for none.
func (s *Server) catalogWindow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.compact.window
}
