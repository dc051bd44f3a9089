package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/auth"
)

// Long sessions. Nothing is stored upstream, so every request carries the
// whole history; before one would pass compactAt of the model's context
// window, the history is compacted: by the Responses API's compaction
// endpoint (<base>/responses/compact, on both branches), or, where that is
// not served, by a summarising step of the model itself.

// compactAt is the share of the context window (in percent) a request may
// reach before the history is compacted.
const compactAt = 90

// builtinWindow is a model's context window when no live catalog says.
func builtinWindow(model string) int64 {
	switch {
	case strings.HasPrefix(model, "gpt-4.1"):
		return 1_047_576
	case strings.HasPrefix(model, "o3"), strings.HasPrefix(model, "o4"):
		return 200_000
	case strings.HasPrefix(model, "gpt-5"), strings.HasPrefix(model, "gpt-6"), strings.Contains(model, "codex"):
		return 272_000
	}
	return 128_000
}

// contextWindow is the context window of model: its catalog entry's on the
// ChatGPT branch, else the built-in table's.
func (e *Engine) contextWindow(ctx context.Context, cred auth.Credential, model string) int64 {
	if en, ok := e.entryFor(ctx, cred, model); ok && en.ContextWindow > 0 {
		return en.ContextWindow
	}
	return builtinWindow(model)
}

// contextMeter tracks how large the session's history is upstream: the
// tokens the last step reported, and how long the history was then.
type contextMeter struct {
	mu       sync.Mutex
	reported int64
	at       int

	// overhead is the size of a request besides its input, for requests
	// of the shape overheadOf names: measured by encoding one, which costs
	// a later turn more than the rest of its way to the first text, so it
	// is kept from turn to turn while the shape stays.
	overhead   int
	overheadOf string
}

// overheadFor returns the overhead of requests of shape key, measuring it
// with measure when the shape changed.
func (m *contextMeter) overheadFor(key string, measure func() int) int {
	m.mu.Lock()
	n, same := m.overhead, m.overheadOf == key
	m.mu.Unlock()
	if same && n > 0 {
		return n
	}
	n = measure()
	m.mu.Lock()
	m.overhead, m.overheadOf = n, key
	m.mu.Unlock()
	return n
}

func (m *contextMeter) note(u Usage, historyLen int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reported, m.at = u.InputTokens+u.OutputTokens, historyLen
}

func (m *contextMeter) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reported, m.at = 0, 0
}

// contextTokens estimates the tokens a request with history would take:
// what the upstream last reported plus what was added since, or about four
// bytes of the request to a token, whichever is more.
// The items' encodings are the ones the request sends (made once per item),
// and the rest of the request is measured once per turn.
func (t *turn) contextTokens(history []Item) int64 {
	inputParam(history) // encodes the items not encoded yet
	if t.overhead == 0 {
		t.overhead = t.s.meter.overheadFor(t.requestShape(), func() int {
			b, _ := json.Marshal(t.params(nil))
			return len(b)
		})
	}
	est := int64(t.overhead+inputList(history).size()+3) / 4
	m := &t.s.meter
	m.mu.Lock()
	reported, at := m.reported, m.at
	m.mu.Unlock()
	if reported > 0 && at <= len(history) {
		since := int64(inputList(history[at:]).size()+3) / 4
		est = max(est, reported+since)
	}
	return est
}

// requestShape names what the size of a request besides its input depends
// on within a session (its root and deckhand's tools are the session's):
// the model, its effort, the branch and the entry's shape and prompt. A
// change it does not see (a tool added mid-session) leaves the estimate a
// little short until the upstream reports the tokens it counted.
func (t *turn) requestShape() string {
	return fmt.Sprintf("%s|%s|%t|%t|%s", t.model, t.effort, t.codex, t.lite(), t.entry.InstructionsTemplate)
}

// maxCompactions bounds the compactions of one turn: a turn that keeps
// filling the window right after each one would otherwise loop.
const maxCompactions = 3

// errStillFull ends a turn whose history does not fit even compacted.
var errStillFull = &UpstreamError{Detail: "context still full after compaction",
	Message: "The conversation does not fit in the model's context window even after compacting it: start a new session, or pick a model with a larger window."}

// maybeCompact compacts history when the next request would pass compactAt
// of the window. A compaction that fails is logged and the request goes as
// it is: the upstream may still take it. A compaction that leaves the
// history over the mark, or one too many in a turn, ends the turn.
func (t *turn) maybeCompact(ctx context.Context, cred auth.Credential, history []Item) ([]Item, error) {
	t.window = t.e.contextWindow(ctx, cred, t.model)
	before := t.contextTokens(history)
	if t.window <= 0 || before*100 < t.window*compactAt || len(history) < 2 {
		return history, nil
	}
	if t.compactions >= maxCompactions {
		return history, errStillFull
	}
	t.compactions++
	compacted, err := t.compact(ctx, cred, history)
	if err != nil {
		if ctx.Err() == nil {
			t.e.log.Warn("compaction failed; sending the history as it is", zap.String("session", t.s.ID), zap.Error(err))
		}
		return history, nil
	}
	t.s.meter.reset()
	t.replaced(compacted) // the session file gives back the compacted history
	after := t.contextTokens(compacted)
	t.e.log.Info("history compacted", zap.String("session", t.s.ID), zap.Int64("before", before), zap.Int64("after", after))
	t.emit(TurnEvent{Kind: EventCompacted, BeforeTokens: before, AfterTokens: after})
	if after*100 >= t.window*compactAt {
		return compacted, errStillFull
	}
	return compacted, nil
}

// compact replaces history by its compaction: the model's own, asked for
// with a trigger item, or where the trigger is refused a summary.
func (t *turn) compact(ctx context.Context, cred auth.Credential, history []Item) ([]Item, error) {
	out, err := t.compactByTrigger(ctx, cred, history)
	if err == nil || ctx.Err() != nil {
		return out, err
	}
	var up *UpstreamError
	if errors.As(err, &up) {
		switch up.Status {
		case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented, http.StatusBadRequest:
			// Not served here (or not for this model): summarise instead.
			t.e.log.Info("compaction by trigger refused; summarising instead", zap.Int("status", up.Status))
			return t.compactBySummary(ctx, cred, history)
		}
	}
	return nil, err
}

// compactByTrigger sends the history with a compaction_trigger item last,
// as the official client does (on both branches, to the ordinary
// endpoint); the answer must hold exactly one compaction item, which
// replaces the older history: the session's first items, the recent user
// messages and the compaction item follow.
func (t *turn) compactByTrigger(ctx context.Context, cred auth.Credential, history []Item) ([]Item, error) {
	fresh, err := t.e.credential(ctx)
	if err != nil {
		return nil, err
	}
	// The compaction is not the user's answer: nothing of it is streamed.
	client := t.client
	t.client = nopClient{}
	step, err := t.stream(ctx, t.e.service(fresh, t.s.ID, &t.sticky), t.requestParams(history, true))
	t.client = client
	if err != nil {
		return nil, err
	}
	var comp []Item
	for _, it := range step.items {
		if it.Kind == ItemCompaction {
			comp = append(comp, it)
		}
	}
	if len(comp) != 1 {
		return nil, fmt.Errorf("the compaction answer holds %d compaction items, not one", len(comp))
	}
	return append(t.keptForCompaction(history), comp[0]), nil
}

// summaryPrompt asks the model for a summary to continue from.
const summaryPrompt = `Your context window is nearly full. Write a summary of the conversation so far that lets you continue the work without it: the user's goals and requests, what was done (files read and changed, commands run, their results), decisions and constraints, and what is left to do. Be specific (paths, names, errors); do not call tools.`

// compactBySummary has the model summarise the history, and keeps the
// session's first items (environment and instructions), the most recent
// user messages and the summary.
func (t *turn) compactBySummary(ctx context.Context, cred auth.Credential, history []Item) ([]Item, error) {
	fresh, err := t.e.credential(ctx)
	if err != nil {
		return nil, err
	}
	req := append(append([]Item(nil), history...), Item{Kind: ItemUser, Text: summaryPrompt})
	p := t.params(req)
	p.Tools = nil
	p.ToolChoice = responses.ResponseNewParamsToolChoiceUnion{}
	p.ParallelToolCalls = param.Opt[bool]{}
	if !t.lite() { // a Lite request must say its reasoning context
		p.Reasoning = shared.ReasoningParam{}
	}
	// The summary is not the user's answer: nothing of it is streamed.
	client := t.client
	t.client = nopClient{}
	step, err := t.stream(ctx, t.e.service(fresh, t.s.ID), p)
	t.client = client
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(step.text) == "" {
		return nil, errors.New("the summarising step answered no text")
	}
	out := t.keptForCompaction(history)
	out = append(out, Item{Kind: ItemUser, Text: "Summary of the conversation so far (the earlier messages were compacted):\n\n" + step.text})
	return out, nil
}

// keptForCompaction is what a compacted history keeps of history: the
// session's first items (environment and instructions), and the most
// recent user messages within a quarter of the window.
func (t *turn) keptForCompaction(history []Item) []Item {
	var out, users []Item
	for i, it := range history {
		if it.Kind != ItemUser {
			continue
		}
		if i < 8 && isSessionContext(it.Text) {
			out = append(out, it)
			continue
		}
		users = append(users, it)
	}
	// The latest user message always stays (cut to a quarter of the
	// window if it must be), older ones while they fit in a tenth of it,
	// at four bytes a token.
	budget := int(t.window) * 4 / 10
	var recent []Item
	for i := len(users) - 1; i >= 0; i-- {
		it := users[i]
		if i == len(users)-1 && len(it.Text) > int(t.window) {
			it.Text = cut(it.Text, int(t.window)) + "\n[… the rest of this message was cut when the conversation was compacted]"
			it.wire, it.wireCodex = nil, nil
		}
		if budget -= len(it.Text) + 64; budget < 0 && i < len(users)-1 {
			break
		}
		recent = append([]Item{it}, recent...)
	}
	return append(out, recent...)
}

// isSessionContext says whether a user item is one of the session's first
// items (environment context, project instructions).
func isSessionContext(text string) bool {
	return strings.HasPrefix(text, "<environment_context>") || strings.HasPrefix(text, "# AGENTS.md instructions for ")
}
