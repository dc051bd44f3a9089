package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/responses"
)

// stepResult is what one model step produced, in output order.
type stepResult struct {
	items []Item // reasoning, assistant text and calls, as they came
	text  string // the step's assistant text
	calls []Item
	usage Usage
	// stop ends the turn after this step whatever it holds: the answer
	// was cut at the token limit, or refused.
	stop StopReason
}

var errIdle = errors.New("the model service sent nothing for too long")

// stream runs one request and relays its events. It returns the step once
// response.completed arrived; a stream that ends without it is an error.
func (t *turn) stream(ctx context.Context, svc responses.ResponseService, params responses.ResponseNewParams) (stepResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(t.e.cfg.IdleTimeout, func() { cancel(errIdle) })
	defer idle.Stop()

	capt := &captured{}
	ctx = context.WithValue(ctx, capturedKey{}, capt)
	params, body := splitBody(params)
	st := svc.NewStreaming(ctx, params, append(body, t.requestOptions()...)...)
	defer st.Close()

	var res stepResult
	deltas := map[string]*strings.Builder{}
	refusals := map[string]bool{} // items whose refusal streamed
	refused := false
	completed := false
	limitsSeen := false
	defer func() {
		// The answer's headers, when no event said more.
		if l, ok := limitsFromHeaders(capt.header); ok && !limitsSeen {
			t.reportLimits(l)
		}
	}()
	for st.Next() {
		idle.Reset(t.e.cfg.IdleTimeout)
		ev := st.Current()
		switch ev.Type {
		case "response.output_text.delta":
			b := deltas[ev.ItemID]
			if b == nil {
				b = &strings.Builder{}
				deltas[ev.ItemID] = b
			}
			b.WriteString(ev.Delta)
			t.partial.WriteString(ev.Delta)
			t.emit(TurnEvent{Kind: EventDelta, Text: ev.Delta})
		case "response.reasoning_summary_text.delta":
			t.emit(TurnEvent{Kind: EventReasoning, Text: ev.Delta})
		case "response.refusal.delta":
			// The user sees a refusal as the answer.
			refusals[ev.ItemID] = true
			t.partial.WriteString(ev.Delta)
			t.emit(TurnEvent{Kind: EventDelta, Text: ev.Delta})
		case "response.output_item.done":
			t.reportWebSearch(ev.Item)
			t.noteCitations(ev.Item)
			if text, ok := refusalOf(ev.Item); ok {
				refused = true
				if !refusals[ev.Item.ID] {
					t.emit(TurnEvent{Kind: EventDelta, Text: text})
				}
			}
			res.add(outputItem(ev.Item, deltas))
		case "response.completed":
			completed = true
			u := ev.Response.Usage
			res.usage = Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens}
			if len(res.items) == 0 {
				for _, o := range ev.Response.Output {
					res.add(outputItem(o, deltas))
				}
			}
		case "response.failed":
			body := []byte(ev.RawJSON())
			return res, classify(t.model, 0, nil, body)
		case "response.incomplete":
			reason := ev.Response.IncompleteDetails.Reason
			switch reason {
			case "max_output_tokens":
				res.stop = StopMaxTokens
			case "content_filter":
				res.stop = StopRefusal
			default:
				return res, &UpstreamError{Detail: "response incomplete: " + reason,
					Message: fmt.Sprintf("The model stopped before finishing its answer (%s).", reason)}
			}
			// The answer so far is the step's; a call cut in the middle of
			// its arguments is never run.
			completed = true
			u := ev.Response.Usage
			res.usage = Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens}
			if res.text == "" {
				for id, b := range deltas {
					if b.Len() > 0 && !refusals[id] {
						res.add(Item{Kind: ItemAssistant, Text: b.String()}, true)
					}
				}
			}
			res.calls = nil
			res.items = slices.DeleteFunc(res.items, func(it Item) bool { return it.Kind == ItemCall })
		case "error":
			return res, classify(t.model, 0, nil, []byte(ev.RawJSON()))
		case "codex.rate_limits":
			if l, ok := limitsFromEvent([]byte(ev.RawJSON())); ok {
				t.reportLimits(l)
				limitsSeen = true
			}
		}
		if completed {
			break
		}
	}
	idle.Stop()
	if completed {
		if refused && res.stop == "" && len(res.calls) == 0 {
			res.stop = StopRefusal // a refusal with calls goes on with them
		}
		return res, nil
	}
	err := st.Err()
	switch {
	case context.Cause(ctx) == errIdle:
		return res, &retryable{&UpstreamError{Detail: fmt.Sprintf("no data for %s", t.e.cfg.IdleTimeout),
			Message: "The model service stopped sending data; try again."}}
	case ctx.Err() != nil:
		return res, ctx.Err()
	case err == nil:
		return res, &retryable{&UpstreamError{Detail: "stream ended before response.completed",
			Message: "The model service closed the stream before the answer was complete; try again."}}
	}
	if errors.Is(err, ErrAnswerTooLarge) {
		// Not retried: the same request would most likely do it again.
		return res, &UpstreamError{Detail: err.Error(),
			Message: "The model's answer was larger than deckhand accepts and was cut off; ask for a shorter answer."}
	}
	var apiErr *responses.Error
	if errors.As(err, &apiErr) {
		body := capt.body
		if capt.status == 0 {
			body = []byte(apiErr.RawJSON())
		}
		return res, classify(t.model, apiErr.StatusCode, capt.header, body)
	}
	var se *ssestream.StreamError
	if errors.As(err, &se) {
		return res, classify(t.model, 0, nil, []byte(se.Event.Data))
	}
	return res, &retryable{&UpstreamError{Detail: err.Error(),
		Message: "The connection to the model service failed or broke; check the network and try again."}}
}

// refusalOf returns the refusal text of a message item, ok when it has one.
func refusalOf(o responses.ResponseOutputItemUnion) (string, bool) {
	if o.Type != "message" {
		return "", false
	}
	var b strings.Builder
	found := false
	for _, c := range o.Content {
		if c.Type == "refusal" {
			found = true
			b.WriteString(c.Refusal)
		}
	}
	return b.String(), found
}

func (r *stepResult) add(it Item, ok bool) {
	if !ok {
		return
	}
	r.items = append(r.items, it)
	switch it.Kind {
	case ItemAssistant:
		if r.text != "" {
			r.text += "\n\n"
		}
		r.text += it.Text
	case ItemCall:
		r.calls = append(r.calls, it)
	}
}

// outputItem turns a finished output item into a history item.
func outputItem(o responses.ResponseOutputItemUnion, deltas map[string]*strings.Builder) (Item, bool) {
	switch o.Type {
	case "message":
		var b strings.Builder
		for _, c := range o.Content {
			switch c.Type {
			case "output_text":
				b.WriteString(c.Text)
			case "refusal":
				b.WriteString(c.Refusal) // the model sees what it said
			}
		}
		text := b.String()
		if text == "" && deltas[o.ID] != nil {
			text = deltas[o.ID].String()
		}
		return Item{Kind: ItemAssistant, Text: text, ID: o.ID, Phase: string(o.Phase)}, text != ""
	case "function_call":
		args := o.Arguments.OfString
		if strings.TrimSpace(args) == "" {
			args = "{}"
		}
		return Item{Kind: ItemCall, CallID: o.CallID, Name: o.Name, Arguments: args, ID: o.ID}, o.CallID != ""
	case "custom_tool_call":
		return Item{Kind: ItemCall, CallID: o.CallID, Name: o.Name, Arguments: o.Input, Custom: true, ID: o.ID}, o.CallID != ""
	case "compaction":
		it := Item{Kind: ItemCompaction, Encrypted: o.EncryptedContent}
		return it, it.Encrypted != ""
	case "reasoning":
		// Without its encrypted content a reasoning item cannot be sent
		// back (nothing is stored upstream): it is dropped.
		it := Item{Kind: ItemReasoning, Encrypted: o.EncryptedContent, ID: o.ID}
		for _, s := range o.Summary {
			it.Summary = append(it.Summary, s.Text)
		}
		return it, it.Encrypted != ""
	}
	return Item{}, false
}

// reportLimits keeps the limits the service reported and tells the editor.
func (t *turn) reportLimits(l Limits) {
	kept := t.e.noteLimits(l)
	t.emit(TurnEvent{Kind: EventLimits, Limits: &kept})
}
