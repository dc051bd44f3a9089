package rpc

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/protocol"
)

// The 1.1 additions this face serves: review before allowing, undo, context
// from the editor, long sessions.

func (s *Server) registerContext() {
	eng := s.cfg.Engine
	request(s, protocol.MethodUndo, true, func(ctx context.Context, p protocol.UndoParams) (any, error) {
		if blank(p.SessionID) {
			return nil, invalidParams("sessionId is required")
		}
		r, err := eng.Undo(ctx, p.SessionID, p.TurnID, p.Force)
		if err != nil {
			return nil, err
		}
		res := protocol.UndoResult{TurnID: r.TurnID, Restored: r.Restored, Skipped: []protocol.UndoSkipped{}, RanBash: r.RanBash}
		for _, sk := range r.Skipped {
			res.Skipped = append(res.Skipped, protocol.UndoSkipped{Path: sk.Path, Reason: sk.Reason})
		}
		res.Message = undoMessage(r)
		return res, nil
	})
}

// undoMessage sums up an undo in a sentence or two.
func undoMessage(r engine.UndoResult) string {
	msg := fmt.Sprintf("Restored %d file(s)", len(r.Restored))
	if len(r.Skipped) > 0 {
		msg += fmt.Sprintf("; skipped %d that changed since (undo with force to restore them anyway)", len(r.Skipped))
	}
	msg += "."
	if r.RanBash {
		msg += " The turn also ran shell commands, whose changes are not undone: check them yourself."
	}
	return msg
}

// preview is the wire form of an engine preview.
func preview(p *engine.Preview) *protocol.Preview {
	if p == nil {
		return nil
	}
	out := &protocol.Preview{Path: p.Path, Diff: p.Diff, Command: p.Command, Cwd: p.Cwd,
		Sandboxed: p.Sandboxed, Justification: p.Justification}
	mcpPreview(p, out)
	for _, f := range p.Files {
		out.Files = append(out.Files, protocol.PreviewFile{Path: f.Path, Action: f.Action, MovePath: f.MovePath, Diff: f.Diff})
	}
	return out
}

// Review implements engine.Client with permission/request: the editor is
// asked, with the call's preview, and the reason of a denial is passed on.
func (c *client) Review(ctx context.Context, req engine.PermissionRequest) (engine.Verdict, error) {
	var res protocol.PermissionResult
	err := c.conn.Call(ctx, protocol.RequestPermission, protocol.PermissionRequestParams{
		SessionID: req.SessionID, TurnID: req.TurnID, CallID: req.CallID, Tool: req.Tool,
		Arguments: json.RawMessage(req.Arguments), Description: req.Description, Preview: preview(req.Preview),
	}, &res)
	if err != nil {
		return engine.Verdict{Decision: engine.Deny}, err
	}
	switch d := engine.Decision(res.Decision); d {
	case engine.Allow, engine.AllowAlways:
		return engine.Verdict{Decision: d}, nil
	case engine.Deny:
		return engine.Verdict{Decision: d, Reason: res.Reason}, nil
	default:
		return engine.Verdict{Decision: engine.Deny}, fmt.Errorf("the editor answered the permission request with %q", res.Decision)
	}
}

// attachments is the engine form of chat's attachments.
func attachments(in []protocol.Attachment) []engine.Attachment {
	var out []engine.Attachment
	for _, a := range in {
		ea := engine.Attachment{Type: a.Type, Path: a.Path, Text: a.Text, Title: a.Title, MimeType: a.MimeType, Data: a.Data}
		if a.Range != nil {
			ea.StartLine, ea.EndLine = a.Range.StartLine, a.Range.EndLine
		}
		out = append(out, ea)
	}
	return out
}
