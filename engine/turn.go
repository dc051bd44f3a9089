package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openai/openai-go/v3/responses"
	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/auth"
)

// credReuse is how old the credential read as a turn began may be for its
// first request to go with it rather than read auth.json again.
const credReuse = time.Second

// turn is one running turn of a session.
type turn struct {
	e      *Engine
	s      *Session
	id     string
	model  string
	effort string
	// chosenEffort is the effort asked for ("" for the default) and
	// defaultModel says the model is the login's default: what the session
	// file keeps for a later continuation.
	chosenEffort string
	defaultModel bool
	running      *runningTurn
	client       Client
	partial      strings.Builder // text streamed by the current attempt
	streamed     bool            // the current attempt sent the editor something
	window       int64           // the model's context window, once known
	overhead     int             // bytes of a request besides its input
	sticky       turnState       // the backend's routing token, echoed within the turn
	codex        bool            // a ChatGPT login: the entry shapes the request
	entry        CatalogEntry    // the model's catalog entry (zero when none)
	prefix       []Item          // the request's first items, made once per turn
	code         codeCells       // code mode's cells (codemode.go)
	offered      offeredTools    // the tools the last request declared (offered.go)
	// compactions counts the turn's compactions (maxCompactions).
	compactions int
	// credAt is when the credential was read as the turn began; the
	// first request goes with it if that was a moment ago (credReuse).
	credAt time.Time
	// approvals are the approval policy and sandbox mode of the turn's
	// commands (approval.go).
	approvals approvals
	// images are the message's attached images, as data URLs (images.go).
	images []string
	// attachments name the message's attachments and decisions keep how
	// each call was let run or not, for the session file (callrecord.go).
	attachments []AttachmentRef
	decisions   decisions
	// retryOf is the turn the request names to replace, then the one it
	// did replace ("" for none), for the session file (retry.go).
	retryOf string
	// diag is the diagnostics exchange of the running step (diagnostics.go).
	diag atomic.Pointer[diagStep]
	// emitMu keeps events in one file: a running command's output is
	// reported from its reading goroutine (nativeturn.go).
	emitMu sync.Mutex

	// sources are the web pages the answer cites (nativeturn.go).
	sources []Source
}

func (t *turn) emit(ev TurnEvent) {
	if ev.Kind == EventDelta || ev.Kind == EventReasoning {
		t.streamed = true
	}
	ev.SessionID, ev.TurnID = t.s.ID, t.id
	t.emitMu.Lock()
	defer t.emitMu.Unlock()
	t.client.TurnEvent(ev)
}

// DefaultModel is the model an API-key turn uses when the request names
// none (a ChatGPT turn uses the catalog's first entry).
const DefaultModel = "gpt-5.5"

// Chat runs one turn: the user's message, then model steps until one holds no
// tool call, the step limit, or a cancel. A cancelled turn answers
// StopCancelled with the text so far; the session stays usable.
func (e *Engine) Chat(ctx context.Context, req ChatRequest) (TurnResult, error) {
	if err := e.CheckChat(req); err != nil {
		return TurnResult{}, err
	}
	s, created, err := e.session(req.SessionID)
	if err != nil {
		return TurnResult{}, err
	}
	att, err := attach(s.workspace(), req.Message, req.Attachments)
	if err != nil {
		if created {
			e.dropSession(s.ID) // nobody has heard of it
		}
		return TurnResult{}, err // nothing is sent
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(e.ctx, cancel) // engine closing
	defer stop()
	t := &turn{e: e, s: s, id: newID("turn"), model: req.Model, effort: req.Effort, client: e.clientOf(s),
		approvals: e.approvalsFor(req), attachments: attachmentRefs(req.Attachments), retryOf: req.RetryOf}
	// A request that names no model or effort continues with the session's.
	keptModel, keptEffort := s.choices()
	if t.model == "" || t.effort == "" {
		t.model, t.effort = cmp.Or(t.model, keptModel), cmp.Or(t.effort, keptEffort)
	}
	t.chosenEffort, t.defaultModel = t.effort, t.model == ""
	// The turn is cancellable from here on, the refresh of a token included.
	if t.running, err = s.begin(t.id, cancel); err != nil {
		return TurnResult{}, err
	}
	defer s.end()
	s.choose(t.model, t.chosenEffort)
	cred, err := e.credential(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return TurnResult{SessionID: s.ID, TurnID: t.id, StopReason: StopCancelled}, nil
		}
		if created {
			e.dropSession(s.ID) // nobody has heard of it
		}
		return TurnResult{}, err
	}
	t.credAt = time.Now()
	t.settle(ctx, cred)

	if err = t.takeImages(att.images); err != nil {
		if created {
			e.dropSession(s.ID) // nobody has heard of it
		}
		return TurnResult{}, err // nothing is sent
	}
	t.emit(TurnEvent{Kind: EventStarted})
	t.startMCP(ctx) // the session's MCP servers, the first time
	// A session's first items are its environment and the root's
	// instructions; an attachment's directory may bring more instructions.
	var pre []Item
	if len(s.snapshotHistory()) == 0 {
		pre = t.sessionContext(t.env())
	}
	for _, d := range att.dirs {
		pre = append(pre, t.instructionsFor(t.env(), d)...)
	}
	// What the user undid since the last turn: the files are not what the
	// model last saw.
	for _, note := range s.takeUndoNotes() {
		pre = append(pre, Item{Kind: ItemUser, Text: note})
	}
	history := t.open(req.Message, att.message, pre) // written to the session's file from here on
	history[len(history)-1].opens = t.id
	res, history, err := t.loop(ctx, cred, history)
	t.closeCode() // no script runs past its turn
	res.SessionID, res.TurnID = s.ID, t.id
	res.Sources = t.sources
	res.Usage.ContextTokens, res.Usage.ContextWindow = t.contextTokens(history), t.window
	if ctx.Err() != nil {
		// Cancelled: whatever ran is kept, every call gets an output.
		res.StopReason = StopCancelled
		t.finish(repair(history, "cancelled by the user"), res, nil)
		if res.Text == "" { // a partial answer the user saw stays
			t.noteDangling(history, req.Message)
		}
		e.log.Info("turn cancelled", zap.String("session", s.ID), zap.String("turn", t.id), zap.Int("steps", res.Steps))
		return res, nil
	}
	err = e.explainModel(ctx, cred, err)
	refused := (*ModelNotServedError)(nil)
	if errors.As(err, &refused) {
		// A model the service refused is not what the session goes on with.
		s.choose(keptModel, keptEffort)
	}
	t.finish(repair(history, "not run: the turn failed"), res, err)
	if refused != nil {
		t.keepChoice(keptModel, keptEffort) // nor after a restart
	}
	if err != nil {
		t.noteDangling(history, req.Message)
		e.log.Warn("turn failed", zap.String("session", s.ID), zap.String("turn", t.id), zap.Error(err))
		return res, err
	}
	e.log.Info("turn ended", zap.String("session", s.ID), zap.String("turn", t.id),
		zap.String("stop", string(res.StopReason)), zap.Int("steps", res.Steps))
	return res, nil
}

// loop runs the steps of a turn and returns the history grown by them.
func (t *turn) loop(ctx context.Context, cred auth.Credential, history []Item) (TurnResult, []Item, error) {
	var res TurnResult
	var texts []string
	end := func(stop StopReason, err error) (TurnResult, []Item, error) {
		res.StopReason, res.Text = stop, strings.Join(texts, "\n\n")
		return res, history, err
	}
	for {
		if res.Steps >= t.e.cfg.MaxSteps {
			return end(StopMaxSteps, nil)
		}
		res.Steps++
		var err error
		if history, err = t.maybeCompact(ctx, cred, history); err != nil {
			return end("", err)
		}
		step, err := t.step(ctx, &cred, history)
		res.Usage.InputTokens += step.usage.InputTokens
		res.Usage.OutputTokens += step.usage.OutputTokens
		if err != nil {
			// A cut step keeps the text the editor saw for the answer, but
			// none of its items: a partial step is not a valid history entry.
			if ctx.Err() != nil {
				text := step.text
				if t.partial.Len() > len(text) {
					text = t.partial.String()
				}
				if text != "" {
					texts = append(texts, text)
				}
			}
			return end("", err)
		}
		if step.text != "" {
			texts = append(texts, step.text)
		}
		history = append(history, step.items...)
		t.s.meter.note(step.usage, len(history))
		t.keep(history)
		t.reportUsage(res.Usage, history) // usage.go
		if step.stop != "" {
			return end(step.stop, nil)
		}
		// The rule the tools deckhand replaces got wrong: any call at all,
		// whatever text or reasoning came with it, means another step.
		if len(step.calls) == 0 {
			return end(StopEndTurn, nil)
		}
		history = append(history, t.runCalls(ctx, step.calls)...)
		history = append(history, t.moreInstructions(t.env(), step.calls)...)
		t.keep(history)
		t.reportUsage(res.Usage, history)
		if ctx.Err() != nil {
			return end("", ctx.Err())
		}
	}
}

// step sends one request, retrying 5xx answers and broken streams with
// backoff and jitter, and a 401 once after a forced refresh.
func (t *turn) step(ctx context.Context, cred *auth.Credential, history []Item) (stepResult, error) {
	params := t.params(history)
	refreshed := false
	var lastErr error
	for attempt := 0; attempt < t.e.cfg.Tries; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, backoff(t.e.cfg.RetryBase, attempt)); err != nil {
				return stepResult{}, err
			}
			t.e.log.Info("retrying a model step", zap.Int("attempt", attempt+1), zap.Error(lastErr))
		}
		// Before each request the token comes from auth.json afresh: a long
		// turn outlives an access token, and another process may have
		// refreshed or changed the login meanwhile. The turn's first
		// request goes with the one read as the turn began, if that was a
		// moment ago: reading it again cost a later turn a tenth of its
		// way to the first text.
		if !t.credAt.IsZero() && time.Since(t.credAt) < credReuse {
			t.credAt = time.Time{}
		} else {
			fresh, err := t.e.credential(ctx)
			if err != nil {
				return stepResult{}, err
			}
			*cred = fresh
		}
		t.partial.Reset()
		t.streamed = false
		res, err := t.stream(ctx, t.e.service(*cred, t.s.ID, &t.sticky), params)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if errors.Is(err, errUnauthorized) {
			if refreshed || cred.Type != "oauth" {
				return res, unauthorized(*cred)
			}
			refreshed = true
			fresh, rerr := t.e.tokens.Refresh(ctx, *cred)
			if rerr != nil {
				return res, t.e.authError(ctx, rerr)
			}
			*cred = fresh
			attempt-- // the refresh retry is not a failure of the upstream
			continue
		}
		var r *retryable
		if errors.As(err, &r) && t.streamed {
			// The editor has seen part of this step: a retry would stream
			// it twice. Say so instead.
			return res, &UpstreamError{Status: httpStatusOf(r.err), Detail: detailOf(r.err),
				Message: "The connection to the model service broke in the middle of the answer; send your message again."}
		}
		if !errors.As(err, &r) {
			var rl *RateLimitError
			if errors.As(err, &rl) {
				rl.OAuth = cred.Type == "oauth"
			}
			return res, err
		}
		lastErr = r.err
	}
	return stepResult{}, &UpstreamError{Status: httpStatusOf(lastErr), Detail: detailOf(lastErr),
		Message: fmt.Sprintf("The model service kept failing (%d tries: %s); try again in a while.", t.e.cfg.Tries, strings.TrimSuffix(detailOf(lastErr), "."))}
}

func httpStatusOf(err error) int {
	var u *UpstreamError
	if errors.As(err, &u) {
		return u.Status
	}
	return 0
}

func detailOf(err error) string {
	var u *UpstreamError
	if errors.As(err, &u) {
		return u.Detail
	}
	return err.Error()
}

// params builds the request body of a step. Nothing is stored upstream, so
// the whole history goes every time, reasoning included.
func (t *turn) params(history []Item) responses.ResponseNewParams {
	return t.requestParams(history, false)
}

// reasoningModel says whether a model takes reasoning settings; the API
// refuses them for the others (gpt-4.1, say).
func reasoningModel(model string) bool {
	return !strings.HasPrefix(model, "gpt-4")
}

// backoff is base·2^(attempt-1), give or take a quarter.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << (attempt - 1)
	return d*3/4 + time.Duration(rand.Int64N(int64(d)/2+1))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// settle fixes what the turn runs on once the login is known: the model
// (the login's default when none was chosen), the branch, the model's
// catalog entry and the effort (the entry's default when none was chosen).
func (t *turn) settle(ctx context.Context, cred auth.Credential) {
	e := t.e
	if t.model == "" {
		t.model = e.defaultModel(ctx, cred)
	}
	t.codex = cred.Type == "oauth"
	t.entry, _ = e.entryFor(ctx, cred, t.model)
	if t.effort == "" {
		t.effort = "medium"
		if t.codex {
			t.effort = t.entry.defaultEffort()
		}
	}
}
