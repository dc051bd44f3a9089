package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"

	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/tools/codemode"
)

// Code mode. A catalog entry with tool_mode "code_mode_only" gives the
// model two tools, exec (JavaScript run in an isolated cell, where the
// tools are async functions on a global `tools` object) and wait (for a
// cell that yielded before it ended); the tools themselves are only nested.
// A nested call goes through the turn's own run: the same permission,
// preview, confinement, undo and reporting as a direct call, reported with
// the exec call's id as its parent. The cells live within their turn: the
// turn's end kills those still running.

// toolModeCode is the catalog's tool_mode of a code-mode entry.
const toolModeCode = "code_mode_only"

// codeMode reports whether entry asks for code mode.
func codeMode(entry CatalogEntry) bool { return entry.ToolMode == toolModeCode }

// codeModeDefs declares exec, whose description lists nested and the
// function tools among mcp, and wait.
func codeModeDefs(nested []tools.Tool, mcp []responses.ToolUnionParam) []responses.ToolUnionParam {
	return []responses.ToolUnionParam{
		param.Override[responses.ToolUnionParam](codemode.ExecTool(append(nestedSpecs(nested), nestedFromDefs(mcp)...))),
		param.Override[responses.ToolUnionParam](codemode.WaitTool()),
	}
}

// nestedSpecs describes ts for exec's scripts.
func nestedSpecs(ts []tools.Tool) []codemode.Tool {
	specs := make([]codemode.Tool, 0, len(ts))
	for _, t := range ts {
		_, freeform := t.(tools.Freeform)
		spec := codemode.Tool{Name: t.Name(), Description: t.Description(), Freeform: freeform}
		if !freeform {
			spec.Parameters = t.Schema()
		}
		specs = append(specs, spec)
	}
	return specs
}

// nestedFromDefs describes the function tools among defs (the MCP tools)
// for exec's scripts.
func nestedFromDefs(defs []responses.ToolUnionParam) []codemode.Tool {
	var specs []codemode.Tool
	for _, d := range defs {
		if f := d.OfFunction; f != nil {
			specs = append(specs, codemode.Tool{Name: f.Name, Description: f.Description.Value, Parameters: f.Parameters})
		}
	}
	return specs
}

// codeCells is a turn's code mode: its cells, made at the first exec call.
type codeCells struct {
	mu  sync.Mutex
	m   *codemode.Manager
	one sync.Mutex // mutating nested calls run one at a time, as direct ones do
}

// runCode runs the model's exec or wait call; ok is false for any other
// call, or when the turn is not in code mode.
func (t *turn) runCode(ctx context.Context, c Item) (oc callOutcome, ok bool) {
	if !codeMode(t.entry) || (c.Name != codemode.ExecName && c.Name != codemode.WaitName) {
		return callOutcome{}, false
	}
	m := t.cells()
	var out codemode.Outcome
	var err error
	if c.Name == codemode.ExecName {
		out, err = m.Exec(ctx, c.CallID, c.Arguments)
	} else {
		args, derr := codemode.DecodeWaitArgs(json.RawMessage(c.Arguments))
		if derr != nil {
			return callOutcome{output: derr.Error()}, true
		}
		out, err = m.Wait(ctx, args)
	}
	if err != nil {
		if ctx.Err() != nil {
			return callOutcome{output: "cancelled by the user"}, true
		}
		return callOutcome{output: fmt.Sprintf("%s failed: %v", c.Name, err)}, true
	}
	return callOutcome{output: out.Text, ok: !out.Failed}, true
}

// cells returns the turn's Manager, making it on first use; once the turn
// closed it, it refuses new cells.
func (t *turn) cells() *codemode.Manager {
	t.code.mu.Lock()
	defer t.code.mu.Unlock()
	if t.code.m == nil {
		nested := append(nestedSpecs(t.toolList()), nestedFromDefs(t.mcpToolDefs())...)
		t.code.m = codemode.NewManager(nestedCalls{t}, nested, codemode.Limits{})
	}
	return t.code.m
}

// closeCode kills the turn's cells and waits for them.
func (t *turn) closeCode() {
	t.code.mu.Lock()
	m := t.code.m
	t.code.mu.Unlock()
	if m != nil {
		m.Close()
	}
}

// nestedCalls runs a script's tool calls as the turn's own.
type nestedCalls struct{ t *turn }

func (n nestedCalls) Call(ctx context.Context, call codemode.Call) (codemode.Result, error) {
	t := n.t
	c := Item{Kind: ItemCall, CallID: call.Parent + "/" + call.ID, Name: call.Name, Arguments: string(call.Args)}
	if call.Args == nil { // a freeform tool's text (apply_patch)
		c.Custom, c.Arguments = true, call.Input
	}
	t.emit(TurnEvent{Kind: EventToolCall, CallID: c.CallID, ParentCallID: call.Parent, Name: c.Name, Arguments: callArguments(c)})
	if t.readOnly(c.Name) {
		release := t.e.toolSlot(ctx)
		defer release()
	} else {
		t.code.one.Lock()
		defer t.code.one.Unlock()
	}
	oc := t.run(ctx, c)
	t.reportCall(c, call.Parent, oc) // recorded for sessions/load too
	if err := ctx.Err(); err != nil {
		return codemode.Result{}, err
	}
	return codemode.Result{Output: oc.output, IsError: !oc.ok, ImageURL: oc.image}, nil
}
