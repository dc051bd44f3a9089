package upstreamtest

import (
	"fmt"
	"slices"
	"time"
)

// Reply is one scripted HTTP answer to a POST to /responses: an error
// (Error) or a model step streamed as server-sent events (Step, Text).
type Reply struct {
	status int
	body   string
	header []string // key, value pairs
	step   *script  // nil for an Error reply
	// answer, when set, makes the reply from the request it answers
	// (Answer, custom.go).
	answer func(body map[string]any) Reply
}

// Error is a plain HTTP answer with status, body (served as application/json
// when it looks like JSON, else text/plain) and headers given as key, value
// pairs, such as Error(429, body, "Retry-After", "2").
func Error(status int, body string, header ...string) Reply {
	if len(header)%2 != 0 {
		panic("upstreamtest: Error headers come in key, value pairs")
	}
	return Reply{status: status, body: body, header: slices.Clone(header)}
}

// Text is a step that answers text and completes: Step().Text(text).Reply().
func Text(text string) Reply { return Step().Text(text).Reply() }

// Step starts a model step. Items stream in the order they are added; the
// ending (completed by default, or Failed, Incomplete, ErrorEvent,
// EndWithoutCompleted, Abort, Stall: the last one called wins) comes after
// every item, whatever the order of the calls.
func Step() *StepBuilder { return &StepBuilder{} }

// StepBuilder builds a Reply that streams one model step. It is not safe for
// concurrent use; the Reply it makes is an independent value.
type StepBuilder struct {
	sc                       script
	reasonings, texts, calls int
}

// script is what a step streams; it is never changed once in a Reply.
type script struct {
	segments []segment
	usage    [2]int // input, output tokens
	end      ending
	header   []string
	delay    time.Duration
	hostile  hostileKind
}

type segmentKind int

const (
	segReasoning segmentKind = iota
	segMessage
	segCall
	segRaw
	segCustomCall // custom.go
	segCompaction
	segRefusal
	segWebSearch // websearch.go
)

// segment is one output item, or one raw event.
type segment struct {
	kind      segmentKind
	id        string
	text      string // summary, message text, call arguments or raw JSON
	encrypted string
	callID    string
	name      string
	// sources and annotations: a web search's pages, a message's
	// citations (websearch.go).
	sources     []string
	annotations []obj
}

type endKind int

const (
	endCompleted endKind = iota
	endFailed
	endIncomplete
	endErrorEvent
	endEOF
	endAbort
	endStall
)

type ending struct {
	kind    endKind
	code    string // error code, or incomplete reason
	message string
}

// Reasoning adds a reasoning item (rs_N) whose summary streams as
// response.reasoning_summary_text.delta events and whose output_item.done
// carries encrypted as encrypted_content. An empty summary streams no summary.
func (b *StepBuilder) Reasoning(summary, encrypted string) *StepBuilder {
	b.reasonings++
	b.sc.segments = append(b.sc.segments, segment{
		kind: segReasoning, id: fmt.Sprintf("rs_%d", b.reasonings), text: summary, encrypted: encrypted,
	})
	return b
}

// Text adds an assistant message item (msg_N) whose text streams in small
// response.output_text.delta chunks.
func (b *StepBuilder) Text(text string) *StepBuilder {
	b.texts++
	b.sc.segments = append(b.sc.segments, segment{kind: segMessage, id: fmt.Sprintf("msg_%d", b.texts), text: text})
	return b
}

// Refusal adds an assistant message item (msg_N) whose only content is a
// refusal, streamed as response.refusal.delta chunks.
func (b *StepBuilder) Refusal(text string) *StepBuilder {
	b.texts++
	b.sc.segments = append(b.sc.segments, segment{kind: segRefusal, id: fmt.Sprintf("msg_%d", b.texts), text: text})
	return b
}

// Call adds a function_call item (fc_N) for the tool name with callID and
// the JSON arguments, streamed as response.function_call_arguments.delta
// chunks.
func (b *StepBuilder) Call(callID, name, arguments string) *StepBuilder {
	b.calls++
	b.sc.segments = append(b.sc.segments, segment{
		kind: segCall, id: fmt.Sprintf("fc_%d", b.calls), text: arguments, callID: callID, name: name,
	})
	return b
}

// Compaction adds a compaction item (cmp_N) carrying encrypted as its
// encrypted_content: the answer to a compaction trigger.
func (b *StepBuilder) Compaction(encrypted string) *StepBuilder {
	b.sc.segments = append(b.sc.segments, segment{kind: segCompaction, id: fmt.Sprintf("cmp_%d", len(b.sc.segments)+1), encrypted: encrypted})
	return b
}

// RawEvent adds one event verbatim: data is the JSON after "data: ", and its
// "type" field, if any, names the event line. It is for shapes the builder
// does not make (unknown event types, {"type":"error","error":{...}}, ...).
func (b *StepBuilder) RawEvent(data string) *StepBuilder {
	b.sc.segments = append(b.sc.segments, segment{kind: segRaw, text: data})
	return b
}

// Usage sets the token usage the terminal event reports (default zero).
func (b *StepBuilder) Usage(in, out int) *StepBuilder {
	b.sc.usage = [2]int{in, out}
	return b
}

// Failed ends the step with response.failed carrying error {code, message}.
func (b *StepBuilder) Failed(code, message string) *StepBuilder {
	b.sc.end = ending{kind: endFailed, code: code, message: message}
	return b
}

// Incomplete ends the step with response.incomplete and
// incomplete_details.reason.
func (b *StepBuilder) Incomplete(reason string) *StepBuilder {
	b.sc.end = ending{kind: endIncomplete, code: reason}
	return b
}

// ErrorEvent ends the step with {"type":"error","code","message"}.
func (b *StepBuilder) ErrorEvent(code, message string) *StepBuilder {
	b.sc.end = ending{kind: endErrorEvent, code: code, message: message}
	return b
}

// EndWithoutCompleted ends the stream cleanly with no terminal event.
func (b *StepBuilder) EndWithoutCompleted() *StepBuilder {
	b.sc.end = ending{kind: endEOF}
	return b
}

// Abort cuts the connection after the items, mid-stream, so the client reads
// an unexpected EOF.
func (b *StepBuilder) Abort() *StepBuilder {
	b.sc.end = ending{kind: endAbort}
	return b
}

// Stall sends the items and then nothing, holding the connection until the
// client goes away or the server closes. Server.Stalled and StallCount tell
// a test that it is being held.
func (b *StepBuilder) Stall() *StepBuilder {
	b.sc.end = ending{kind: endStall}
	return b
}

// Header sets a header on the streamed answer (rate-limit headers, say).
func (b *StepBuilder) Header(k, v string) *StepBuilder {
	b.sc.header = append(b.sc.header, k, v)
	return b
}

// DelayPerEvent waits d before each event, for progress demos.
func (b *StepBuilder) DelayPerEvent(d time.Duration) *StepBuilder {
	b.sc.delay = d
	return b
}

// Reply returns the step as a Reply; later calls on b do not change it.
func (b *StepBuilder) Reply() Reply {
	sc := b.sc
	sc.segments = slices.Clone(b.sc.segments)
	sc.header = slices.Clone(b.sc.header)
	return Reply{status: 200, step: &sc}
}
