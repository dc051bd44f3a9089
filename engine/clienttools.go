package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/deckhand-dev/deckhand/tools"
)

// clientReadLimit is how many lines a read through the client shows when the
// call names no limit, as the read tool does.
const clientReadLimit = 2000

// A read through the client is capped as a read of the disk is: at most
// clientReadMaxOutput bytes of output whatever the limit (one 50 MB line
// went whole into the history), and a file edited through the client at
// most clientEditMaxSize bytes, the edit tool's limit.
const (
	clientReadMaxOutput = 256 << 10
	clientEditMaxSize   = 64 << 20
)

// runOnClient runs a read, write, edit or bash call through the client when
// it serves files or terminals for the session (ACP's fs/* and terminal/*).
// handled is false when deckhand's own tool must run.
func (t *turn) runOnClient(ctx context.Context, c Item) (oc callOutcome, handled bool) {
	root := t.s.root
	switch c.Name {
	case "read", "write", "edit":
		fc, ok := t.client.(FileClient)
		if !ok || !fc.ServesFiles(t.s.ID) {
			return callOutcome{}, false
		}
		return t.fileCall(ctx, fc, root, c), true
	case "bash":
		tc, ok := t.client.(TerminalClient)
		if !ok || !tc.ServesTerminals(t.s.ID) {
			return callOutcome{}, false
		}
		var p struct {
			Command   string `json:"command"`
			TimeoutMs int    `json:"timeoutMs"`
		}
		if json.Unmarshal([]byte(c.Arguments), &p) != nil || strings.TrimSpace(p.Command) == "" {
			return callOutcome{output: "invalid arguments: command must be a non-empty string"}, true
		}
		// The bash tool's limits: 2 minutes unless the call says, at most 10.
		timeout := 2 * time.Minute
		if p.TimeoutMs > 0 {
			timeout = min(time.Duration(p.TimeoutMs)*time.Millisecond, 10*time.Minute)
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		out, status, err := tc.RunCommand(cctx, t.s.ID, c.CallID, p.Command, root)
		if err != nil {
			return callOutcome{output: fmt.Sprintf("the editor could not run the command: %v", err)}, true
		}
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		// As with the bash tool on disk, a command that ran to its end is
		// no tool error whatever its exit status: the model reads it.
		return callOutcome{output: out + "[" + status + "]", ok: strings.HasPrefix(status, "exit status ")}, true
	}
	return callOutcome{}, false
}

func (t *turn) fileCall(ctx context.Context, fc FileClient, root string, c Item) callOutcome {
	var p struct {
		Path       string `json:"path"`
		Offset     int    `json:"offset"`
		Limit      int    `json:"limit"`
		Content    string `json:"content"`
		OldString  string `json:"oldString"`
		NewString  string `json:"newString"`
		ReplaceAll bool   `json:"replaceAll"`
	}
	if err := json.Unmarshal([]byte(c.Arguments), &p); err != nil || strings.TrimSpace(p.Path) == "" {
		return callOutcome{output: "invalid arguments: they must be one JSON object with a non-empty \"path\""}
	}
	real, err := tools.Resolve(root, p.Path)
	if err != nil {
		return callOutcome{output: fmt.Sprintf("%q is outside the workspace %s", p.Path, root)}
	}
	// deckhand's own home is off limits whatever serves the files.
	if msg := t.e.home.Forbidden(real, p.Path); msg != "" {
		return callOutcome{output: msg}
	}
	rel, _ := filepath.Rel(root, real)
	switch c.Name {
	case "read":
		text, err := fc.ReadTextFile(ctx, t.s.ID, real)
		if err != nil {
			return callOutcome{output: fmt.Sprintf("cannot read %q: %v", p.Path, err)}
		}
		return callOutcome{output: numberLines(text, p.Offset, p.Limit), ok: true}
	case "write":
		if err := fc.WriteTextFile(ctx, t.s.ID, real, p.Content); err != nil {
			return callOutcome{output: fmt.Sprintf("cannot write %q: %v", p.Path, err)}
		}
		return callOutcome{output: fmt.Sprintf("wrote %s (%d bytes) in the editor", rel, len(p.Content)), ok: true}
	default: // edit
		old, err := fc.ReadTextFile(ctx, t.s.ID, real)
		if err != nil && p.OldString != "" {
			return callOutcome{output: fmt.Sprintf("cannot edit %q: %v", p.Path, err)}
		}
		if len(old) > clientEditMaxSize {
			return callOutcome{output: fmt.Sprintf("%q is larger than %d MiB: edit changes smaller files only", p.Path, clientEditMaxSize>>20)}
		}
		if err != nil {
			old = "" // creating a file with an empty oldString
		} else if p.OldString == "" && old != "" {
			return callOutcome{output: fmt.Sprintf("oldString is empty, but %q already exists: give the text to replace, or use write to replace the whole file", p.Path)}
		}
		after, count := p.NewString, 1
		if p.OldString != "" {
			var msg string
			if after, count, msg = tools.ReplaceText(old, p.OldString, p.NewString, p.ReplaceAll, rel); msg != "" {
				return callOutcome{output: msg}
			}
		}
		if err := fc.WriteTextFile(ctx, t.s.ID, real, after); err != nil {
			return callOutcome{output: fmt.Sprintf("cannot write %q: %v", p.Path, err)}
		}
		return callOutcome{output: fmt.Sprintf("edited %s in the editor: replaced %d occurrence(s)", rel, count), ok: true}
	}
}

// numberLines shows text as the read tool does: each line after its 1-based
// number and a tab, from line offset, at most limit lines.
func numberLines(text string, offset, limit int) string {
	if offset < 1 {
		offset = 1
	}
	if limit <= 0 {
		limit = clientReadLimit
	}
	lines := strings.SplitAfter(text, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	if offset > len(lines) {
		return fmt.Sprintf("(the file has %d lines; offset %d is past its end)", len(lines), offset)
	}
	var b strings.Builder
	end := min(len(lines), offset-1+limit)
	for i := offset - 1; i < end; i++ {
		line := strings.TrimRight(lines[i], "\r\n")
		if room := clientReadMaxOutput - b.Len() - 8; len(line) > room {
			// The rest of the output, as the read tool stops at its cap.
			fmt.Fprintf(&b, "%6d\t%s\n", i+1, cut(line, max(room, 0)))
			fmt.Fprintf(&b, "(output capped at %d KiB in line %d; read on with offset %d)\n", clientReadMaxOutput>>10, i+1, i+2)
			return b.String()
		}
		fmt.Fprintf(&b, "%6d\t%s", i+1, line)
		b.WriteByte('\n')
	}
	if end < len(lines) {
		fmt.Fprintf(&b, "(%d more lines; read on with offset %d)\n", len(lines)-end, end+1)
	}
	return b.String()
}

// previewWait bounds the reading of a file through the client for a
// preview.
const previewWait = 10 * time.Second

// previewFor is the preview of a permission request. A write or edit the
// client serves is checked and shown against the client's text, not the
// disk's.
func (t *turn) previewFor(ctx context.Context, c Item, env *tools.Env) (*Preview, string, bool) {
	if c.Name == "write" || c.Name == "edit" {
		if fc, ok := t.client.(FileClient); ok && fc.ServesFiles(t.s.ID) {
			// Never ask to write deckhand's own home: it would be refused.
			var p struct {
				Path string `json:"path"`
			}
			if json.Unmarshal([]byte(c.Arguments), &p) == nil && p.Path != "" {
				if real, err := tools.Resolve(t.s.root, p.Path); err == nil {
					if msg := t.e.home.Forbidden(real, p.Path); msg != "" {
						return nil, msg, false
					}
				}
			}
			ctx, cancel := context.WithTimeout(ctx, previewWait)
			ch, ok := t.e.previewChange(ctx, t.s, c.Name, json.RawMessage(c.Arguments))
			cancel()
			if !ok {
				return nil, "", true // the tool says what is wrong when it runs
			}
			rel, _ := filepath.Rel(t.s.root, ch.Path)
			return &Preview{Path: filepath.ToSlash(rel), Diff: tools.Diff(filepath.ToSlash(rel), !ch.Created, ch.OldText, ch.NewText),
				Changes: []FileChange{ch}}, "", true
		}
	}
	return t.preview(c, env)
}
