package rpc

import (
	"context"
	"strings"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/protocol"
)

// ServesDiagnostics says whether the editor declared capabilities.diagnostics.
func (c *client) ServesDiagnostics(string) bool { return c.diagnostics }

// Diagnostics asks the editor what its language servers report for paths
// (diagnostics/request). An entry without a path or a message is dropped;
// the frame limit bounds the answer, and the engine what the model is told.
func (c *client) Diagnostics(ctx context.Context, req engine.DiagnosticsRequest) ([]engine.Diagnostic, error) {
	when := "before"
	if req.After {
		when = "after"
	}
	var res protocol.DiagnosticsResult
	if err := c.conn.Call(ctx, protocol.RequestDiagnostics, protocol.DiagnosticsRequestParams{SessionID: req.SessionID, Paths: req.Paths, When: when}, &res); err != nil {
		return nil, err
	}
	out := make([]engine.Diagnostic, 0, len(res.Diagnostics))
	for _, d := range res.Diagnostics {
		if strings.TrimSpace(d.Path) == "" || strings.TrimSpace(d.Message) == "" {
			continue
		}
		out = append(out, engine.Diagnostic{Path: d.Path, StartLine: d.Range.StartLine, EndLine: d.Range.EndLine,
			Severity: strings.ToLower(d.Severity), Message: d.Message, Source: d.Source})
	}
	return out, nil
}
