package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/tools/sandbox"
)

// callOutcome is what running one call gave the model.
type callOutcome struct {
	output  string
	ok      bool
	changed []string     // files a write, edit or apply_patch changed
	changes []FileChange // the same changes whole, text files only
	exit    *int         // a command's exit status
	image   string       // a view_image's picture, as a data: URL
	// sandboxed says whether a command ran in the OS sandbox; nil when the
	// call ran no command.
	sandboxed *bool
	images    []string // data URLs of images for the model (MCP tools)
}

// runCalls runs the calls of one step and returns their outputs in call order.
// Consecutive read-only calls run concurrently; a mutating call runs alone,
// after asking the user when the editor can be asked. Results are reported
// from the turn's goroutine, as each call ends.
func (t *turn) runCalls(ctx context.Context, calls []Item) []Item {
	outcomes := make([]callOutcome, len(calls))
	diagnose := t.diagnosticsStep(calls) // diagnostics.go
	limit := t.refuseExtraCalls(calls, outcomes)
	for i := 0; i < limit; {
		j := i + 1
		if t.readOnly(calls[i].Name) {
			for j < limit && t.readOnly(calls[j].Name) {
				j++
			}
		}
		t.runBatch(ctx, calls, i, j, outcomes)
		i = j
	}
	out := make([]Item, len(calls))
	for i, c := range calls {
		out[i] = Item{Kind: ItemOutput, CallID: c.CallID, Name: c.Name, Text: outcomes[i].output, OK: outcomes[i].ok, Custom: c.Custom, Image: outcomes[i].image, Images: outcomes[i].images}
	}
	diagnose(ctx, outcomes, out)
	return out
}

// toolGrace is how long a cancelled tool may take to stop before the turn
// ends without it.
const toolGrace = time.Second

// runBatch runs calls[i:j] at once and fills their outcomes.
func (t *turn) runBatch(ctx context.Context, calls []Item, i, j int, outcomes []callOutcome) {
	type done struct {
		k  int
		oc callOutcome
	}
	results := make(chan done, j-i) // never blocks a tool that ends late
	for k := i; k < j; k++ {
		t.announce(calls[k])
	}
	for k := i; k < j; k++ {
		t.e.running.Add(1)
		go func() {
			defer t.e.running.Done()
			if t.readOnly(calls[k].Name) {
				release := t.e.toolSlot(ctx)
				defer release()
			}
			results <- done{k, t.runOffered(ctx, calls[k])}
		}()
	}
	finished := make([]bool, j-i)
	var grace <-chan time.Time
	cancelled := ctx.Done()
	for left := j - i; left > 0; {
		select {
		case d := <-results:
			outcomes[d.k], finished[d.k-i] = d.oc, true
			t.report(calls[d.k], d.oc)
			left--
		case <-cancelled:
			cancelled, grace = nil, time.After(toolGrace)
		case <-grace:
			// A tool that ignores the cancel is left behind (the engine
			// waits for it when it closes); the turn ends now.
			for k := i; k < j; k++ {
				if !finished[k-i] {
					outcomes[k] = callOutcome{output: "cancelled by the user"}
					t.e.log.Warn("tool did not stop when cancelled", zap.String("tool", calls[k].Name))
					t.report(calls[k], outcomes[k])
				}
			}
			return
		}
	}
}

// tool finds the tool a call names: among the engine's own, then among
// every tool deckhand has (a session may change models, and a call
// answers to its name).
func (t *turn) tool(name string) tools.Tool {
	for _, tool := range t.e.tools {
		if tool.Name() == name {
			return tool
		}
	}
	for _, tool := range tools.Every() {
		if tool.Name() == name {
			return tool
		}
	}
	return nil
}

func (t *turn) readOnly(name string) bool {
	tool := t.tool(name)
	return tool != nil && tool.ReadOnly()
}

func (t *turn) announce(c Item) {
	t.emit(TurnEvent{Kind: EventToolCall, CallID: c.CallID, Name: c.Name, Arguments: callArguments(c)})
}

// jsonArgs returns a call's arguments as a JSON object for display, even when
// the model sent something that does not parse.
func jsonArgs(args string) json.RawMessage {
	var obj map[string]any
	if json.Unmarshal([]byte(args), &obj) == nil && obj != nil {
		return json.RawMessage(args)
	}
	b, _ := json.Marshal(map[string]string{"raw": args})
	return b
}

// runOffered runs a call of the model's step: one naming a tool the
// request did not offer gets an error output and runs nothing.
func (t *turn) runOffered(ctx context.Context, c Item) callOutcome {
	if msg, refused := t.offered.refuse(c.Name); refused {
		t.e.log.Warn("the model called a tool it was not offered", zap.String("tool", cut(c.Name, 100)))
		return callOutcome{output: msg}
	}
	return t.run(ctx, c)
}

// run runs one call; it never fails the turn.
func (t *turn) run(ctx context.Context, c Item) (oc callOutcome) {
	defer func() {
		if p := recover(); p != nil {
			t.e.log.Error("tool panicked", zap.String("tool", c.Name), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			oc = callOutcome{output: fmt.Sprintf("tool %s failed with an internal error", c.Name)}
		}
		if ctx.Err() != nil && !oc.ok {
			oc.output = "cancelled by the user"
		}
	}()
	if oc, ok := t.runCode(ctx, c); ok {
		return oc
	}
	tool := t.tool(c.Name)
	if tool == nil && isMCPTool(c.Name) {
		return t.runMCP(ctx, c)
	}
	if tool == nil {
		return callOutcome{output: fmt.Sprintf("there is no tool named %q; the tools are %s", c.Name, toolNames(t.toolList()))}
	}
	env := &tools.Env{Root: t.s.root, Ledger: t.s.ledger, Execs: t.s.execs, Truncation: t.truncation(), Home: t.e.home}
	t.useClientSources(ctx, env, c)
	if !tool.ReadOnly() || t.guarded(c) {
		if msg, ok := t.permit(ctx, c, tool, env); !ok {
			return callOutcome{output: msg}
		}
	}
	t.diagnosticsBeforeChange(ctx, c) // diagnostics.go
	watch := t.watch(c, env)
	runCtx, flush := t.streamOutput(ctx, c)
	res, err := tool.Run(runCtx, env, json.RawMessage(c.Arguments))
	flush()
	changed, changes := watch()
	if err != nil {
		if ctx.Err() != nil {
			return callOutcome{output: "cancelled by the user", changed: changed}
		}
		return callOutcome{output: fmt.Sprintf("tool %s failed: %v", c.Name, err), changed: changed}
	}
	oc = callOutcome{output: res.Output, ok: !res.IsError, changed: changed, changes: changes, sandboxed: ranSandboxed(c, env), exit: res.ExitCode}
	if res.Image != nil {
		oc.image = res.Image.DataURL()
	}
	return oc
}

// permit decides whether a mutating call may run, asking the user when the
// editor can be asked. The message is what the model sees when it may not.
func (t *turn) permit(ctx context.Context, c Item, tool tools.Tool, env *tools.Env) (string, bool) {
	// A command is first up to the approval policy and the sandbox.
	plan, msg := t.planCommand(c)
	if msg != "" {
		return msg, false
	}
	if plan != nil && plan.Action != sandbox.Ask {
		if plan.Action == sandbox.Refuse {
			t.decisions.note(c.CallID, &CallPermission{Decision: Deny, By: PermitPolicy, Reason: plan.Reason})
			return plan.Reason, false
		}
		t.decisions.note(c.CallID, &CallPermission{Decision: Allow, By: PermitPolicy})
		t.apply(plan, env)
		return "", true
	}
	always := plan.alwaysKey(c.Name)
	if run, canAsk := t.unasked(always); run {
		by := PermitAllowAll
		if always != "" && t.s.allowedAlways(always) {
			by = PermitSession
		}
		t.decisions.note(c.CallID, &CallPermission{Decision: Allow, By: by})
		t.apply(plan, env)
		return "", true
	} else if !canAsk {
		msg := fmt.Sprintf("%s is not allowed: this editor cannot ask the user for permission, and deckhand was not started with --allow-all", c.Name)
		t.decisions.note(c.CallID, &CallPermission{Decision: Deny, By: PermitPolicy, Reason: msg})
		return msg, false
	}
	preview, msg, ok := t.previewFor(ctx, c, env)
	if !ok {
		return msg, false // the call would fail: no need to ask
	}
	if plan != nil && preview != nil {
		preview.Sandboxed, preview.Justification = &plan.Sandboxed, plan.justification
	}
	msg, ok = t.ask(ctx, always, PermissionRequest{
		SessionID: t.s.ID, TurnID: t.id, CallID: c.CallID, Tool: c.Name,
		Arguments: callArguments(c), Description: tools.Describe(c.Name, json.RawMessage(c.Arguments)),
		Preview: preview,
	})
	if ok {
		t.apply(plan, env)
	}
	return msg, ok
}

func (t *turn) report(c Item, oc callOutcome) { t.reportCall(c, "", oc) }

// reportCall records a call's end and tells the editor; parent is the
// code-mode exec call whose script made it, if any. Direct and nested
// calls report the same fields.
func (t *turn) reportCall(c Item, parent string, oc callOutcome) {
	ev := TurnEvent{Kind: EventToolResult, CallID: c.CallID, ParentCallID: parent, Name: c.Name, OK: oc.ok, Output: cut(oc.output, DisplayLimit),
		ChangedPaths: oc.changed, Sandboxed: oc.sandboxed, ExitCode: oc.exit,
		Changes: oc.changes}
	if !oc.ok {
		ev.Error = cut(oc.output, 512)
	}
	if tool := t.tool(c.Name); tool != nil && !tool.ReadOnly() {
		t.persistUndo(oc.changed)
	}
	if parent != "" {
		t.diagnosticsNested(c, oc.changed) // diagnostics.go
	}
	ev.Permission = t.recordCall(c, parent, oc)
	t.emit(ev)
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
