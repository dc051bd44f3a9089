package rpc

import (
	"context"
	"path/filepath"
	"unicode/utf8"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/protocol"
)

// registerSessions serves the stored sessions of protocol 1.1.
func (s *Server) registerSessions() {
	eng := s.cfg.Engine
	request(s, protocol.MethodSessionsList, false, func(ctx context.Context, p protocol.SessionsListParams) (any, error) {
		if p.Limit < 0 {
			return nil, invalidParams("limit must be 0 or more")
		}
		root := p.WorkspaceRoot
		switch {
		case p.All && root != "":
			return nil, invalidParams("give workspaceRoot or all, not both")
		case p.All:
		case root == "":
			root = s.workspaceRoot()
		case !filepath.IsAbs(root):
			return nil, invalidParams("workspaceRoot must be an absolute path")
		}
		list, err := eng.ListSessions(root, p.Limit)
		if err != nil {
			return nil, err
		}
		res := protocol.SessionsListResult{Sessions: make([]protocol.SessionInfo, 0, len(list))}
		for _, sum := range list {
			res.Sessions = append(res.Sessions, protocol.SessionInfo{
				SessionID: sum.SessionID, Title: sum.Title, WorkspaceRoot: sum.WorkspaceRoot, Model: sum.Model,
				CreatedAt: rfc3339(sum.CreatedAt), UpdatedAt: rfc3339(sum.UpdatedAt), Turns: sum.Turns,
				Broken: sum.Broken, Error: sum.Error,
			})
		}
		return res, nil
	})
	request(s, protocol.MethodSessionsLoad, true, func(ctx context.Context, p protocol.SessionParams) (any, error) {
		if blank(p.SessionID) {
			return nil, invalidParams("sessionId is required")
		}
		sum, turns, err := eng.LoadSession(p.SessionID)
		if err != nil {
			return nil, err
		}
		res := protocol.SessionsLoadResult{SessionID: sum.SessionID, Title: sum.Title, WorkspaceRoot: sum.WorkspaceRoot,
			Model: sum.Model, ReasoningEffort: sum.Effort, Turns: make([]protocol.TranscriptTurn, 0, len(turns))}
		for _, t := range turns {
			tt := protocol.TranscriptTurn{TurnID: t.TurnID, Message: t.Message, Text: t.Text, StopReason: wireStop(t.StopReason),
				Error: t.Error, Tools: make([]protocol.TranscriptTool, 0, len(t.Tools)),
				Attachments: transcriptAttachments(t.Attachments), ChangedPaths: t.ChangedPaths, Undoable: t.Undoable, Undone: t.Undone,
				RetryOf: t.RetryOf, RetriedError: t.RetriedError, StepCount: t.StepCount}
			for _, c := range t.Tools {
				tt.Tools = append(tt.Tools, transcriptTool(c))
			}
			if u := t.Usage; u != (engine.Usage{}) {
				tt.Usage = &protocol.Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, ContextTokens: u.ContextTokens, ContextWindow: u.ContextWindow}
			}
			tt.Steps = transcriptSteps(t)
			res.Turns = append(res.Turns, tt)
		}
		return res, nil
	})
	request(s, protocol.MethodSessionsDelete, true, func(ctx context.Context, p protocol.SessionParams) (any, error) {
		if blank(p.SessionID) {
			return nil, invalidParams("sessionId is required")
		}
		ok, err := eng.DeleteSession(p.SessionID)
		if err != nil {
			return nil, err
		}
		return protocol.SessionsDeleteResult{Deleted: ok}, nil
	})
	request(s, protocol.MethodSessionsClose, true, func(ctx context.Context, p protocol.SessionParams) (any, error) {
		if blank(p.SessionID) {
			return nil, invalidParams("sessionId is required")
		}
		ok, err := eng.CloseSession(p.SessionID)
		if err != nil {
			return nil, err
		}
		return protocol.SessionsCloseResult{Closed: ok}, nil
	})
}

// transcriptSteps is what a stored turn did, in order, read from its
// parts: texts and reasoning with their text, calls by callId.
func transcriptSteps(t engine.StoredTurn) []protocol.TranscriptStep {
	var steps []protocol.TranscriptStep
	for _, p := range t.Parts {
		switch p.Kind {
		case engine.PartText, engine.PartReasoning:
			steps = append(steps, protocol.TranscriptStep{Kind: string(p.Kind), Text: p.Text})
		case engine.PartTool:
			if p.Tool >= 0 && p.Tool < len(t.Tools) {
				steps = append(steps, protocol.TranscriptStep{Kind: string(p.Kind), CallID: t.Tools[p.Tool].CallID})
			}
		}
	}
	return steps
}

// transcriptTool is a stored call as sessions/load gives it: what
// chat/toolResult said of it live, and how it was let run.
func transcriptTool(c engine.StoredTool) protocol.TranscriptTool {
	tt := protocol.TranscriptTool{CallID: c.CallID, Name: c.Name, Arguments: c.Arguments, OK: c.OK, Output: c.Output,
		ChangedPaths: c.ChangedPaths, Sandboxed: c.Sandboxed, ExitCode: c.ExitCode, ParentCallID: c.ParentCallID}
	if !c.OK {
		tt.Error = toolError(c.Output)
	}
	tt.Permission = toolPermission(c.Permission)
	return tt
}

// toolPermission is a call's permission as chat/toolResult and
// sessions/load both give it.
func toolPermission(p *engine.CallPermission) *protocol.TranscriptPermission {
	if p == nil {
		return nil
	}
	return &protocol.TranscriptPermission{Decision: string(p.Decision), By: p.By, Reason: p.Reason}
}

// toolError is the error chat/toolResult gives a failed call: its output,
// cut to 512 bytes on a rune boundary.
func toolError(out string) string {
	if len(out) <= 512 {
		return out
	}
	n := 512
	for n > 0 && !utf8.RuneStart(out[n]) {
		n--
	}
	return out[:n]
}

// transcriptAttachments names a turn's attachments as chat took them.
func transcriptAttachments(refs []engine.AttachmentRef) []protocol.Attachment {
	var out []protocol.Attachment
	for _, r := range refs {
		a := protocol.Attachment{Type: r.Type, Path: r.Path, Title: r.Title, MimeType: r.MimeType}
		if r.StartLine > 0 {
			a.Range = &protocol.LineRange{StartLine: r.StartLine, EndLine: r.EndLine}
		}
		out = append(out, a)
	}
	return out
}

// workspaceRoot is the root initialize fixed.
func (s *Server) workspaceRoot() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.root
}

// serverCapabilities are the 1.1 additions this server has.
func serverCapabilities() *protocol.ServerCapabilities {
	caps := &protocol.ServerCapabilities{Sessions: true, Attachments: true, Preview: true, Undo: true, Compaction: true, Limits: true, MCP: true}
	caps.NativeTools = true // the Codex tools (engine/nativeturn.go)
	caps.Images = true      // image attachments (engine/images.go)
	caps.Diagnostics = true // diagnostics/request (rpc/diagnostics.go)
	return caps
}

// wireStop is a stop reason in this protocol's words: its stop reasons are
// end_turn, cancelled and max_steps (and "error" in a transcript), so an
// answer cut at the token limit or refused ends the turn like any other;
// its text is the answer.
func wireStop(r engine.StopReason) string {
	switch r {
	case engine.StopMaxTokens, engine.StopRefusal:
		return string(engine.StopEndTurn)
	}
	return string(r)
}
