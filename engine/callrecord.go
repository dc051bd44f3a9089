package engine

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// What a reopened session shows besides its history: for each call the
// permission decision and the user's reason, the files it changed, whether
// a command ran sandboxed and its exit status (a RecordCall line, written as
// the call ends), and for each turn the message's attachments (named, never
// their content, on the turn record). The undo records (undo_persist.go)
// say which files a turn changed and whether it was undone.

// RecordCall holds a CallRecord in Call: what the history item of a call
// does not say of it.
const RecordCall RecordType = "call"

// CallRecord is what a session file keeps of one call's end besides its
// output.
type CallRecord struct {
	CallID       string          `json:"callId"`
	Permission   *CallPermission `json:"permission,omitempty"`
	ChangedPaths []string        `json:"changedPaths,omitempty"`
	Sandboxed    *bool           `json:"sandboxed,omitempty"`
	ExitCode     *int            `json:"exitCode,omitempty"`
	// A call nested in a code-mode exec script has no history item of its
	// own (the model sees only the script's output), nor has a hosted web
	// search (the service ran it), so their record says the rest: the
	// exec call that made it (none for a search), its name and arguments,
	// and what the editor was shown of its result (Output cut to
	// DisplayLimit).
	ParentCallID string          `json:"parentCallId,omitempty"`
	Name         string          `json:"name,omitempty"`
	Arguments    json.RawMessage `json:"arguments,omitempty"`
	OK           bool            `json:"ok,omitempty"`
	Output       string          `json:"output,omitempty"`
}

// CallPermission is how a call that needed permission was let run, or not.
type CallPermission struct {
	Decision Decision `json:"decision"` // allow, allowAlways or deny
	// By says who decided: PermitUser (the user answered a permission
	// request), PermitSession (the user allowed the tool for the session
	// earlier), PermitPolicy (the approval policy and sandbox, or an
	// editor that cannot ask), PermitAllowAll (--allow-all).
	By string `json:"by"`
	// Reason is the user's reason for a denial, or what the model was told
	// of a refusal nobody was asked about.
	Reason string `json:"reason,omitempty"`
}

// Who decided a call's permission.
const (
	PermitUser     = "user"
	PermitSession  = "session"
	PermitPolicy   = "policy"
	PermitAllowAll = "allowAll"
)

// AttachmentRef is what a session file keeps of an attachment: what it
// named, not what it held (a file's text is in the message the model got;
// an image's bytes are not kept apart from it).
type AttachmentRef struct {
	Type      string `json:"type"`
	Path      string `json:"path,omitempty"`
	StartLine int    `json:"startLine,omitempty"`
	EndLine   int    `json:"endLine,omitempty"`
	Title     string `json:"title,omitempty"`
	MimeType  string `json:"mimeType,omitempty"` // a pasted image
}

// attachmentRefs names a chat's attachments for the session file.
func attachmentRefs(atts []Attachment) []AttachmentRef {
	if len(atts) == 0 {
		return nil
	}
	out := make([]AttachmentRef, 0, len(atts))
	for _, a := range atts {
		out = append(out, AttachmentRef{Type: a.Type, Path: a.Path, StartLine: a.StartLine, EndLine: a.EndLine, Title: a.Title, MimeType: a.MimeType})
	}
	return out
}

// decisions keeps how the running turn's calls were let run or not, noted
// where each was decided (permit, ask), until the call's end records it.
type decisions struct {
	mu sync.Mutex
	m  map[string]*CallPermission
}

func (d *decisions) note(callID string, p *CallPermission) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = map[string]*CallPermission{}
	}
	d.m[callID] = p
}

// take returns and forgets call callID's decision; nil for a call that
// needed no permission, or that failed before it came to one (bad
// arguments, an edit that does not apply, a cancel while the user was
// asked).
func (d *decisions) take(callID string) *CallPermission {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.m[callID]
	delete(d.m, callID)
	return p
}

// recordCall writes what the session file keeps of a call's end, and
// returns the call's permission for its chat/toolResult: the live result
// and the reopened call say the same.
// A nested call (parent is the exec call that made it) is always recorded,
// whole.
func (t *turn) recordCall(c Item, parent string, oc callOutcome) *CallPermission {
	rec := &CallRecord{CallID: c.CallID, Permission: t.decisions.take(c.CallID), ChangedPaths: oc.changed,
		Sandboxed: oc.sandboxed, ExitCode: oc.exit}
	if parent != "" {
		rec.ParentCallID, rec.Name, rec.Arguments = parent, c.Name, callArguments(c)
		rec.OK, rec.Output = oc.ok, cut(oc.output, DisplayLimit)
	} else if rec.Permission == nil && len(rec.ChangedPaths) == 0 && rec.Sandboxed == nil && rec.ExitCode == nil {
		return nil
	}
	t.record(&Record{Type: RecordCall, Call: rec})
	return rec.Permission
}

// noteCall adds a call record to the transcript of the open turn: what a
// call's item does not say, or a whole nested call.
func (b *builder) noteCall(rec *CallRecord) {
	if b.turn == nil || rec == nil {
		return
	}
	if rec.Name != "" {
		b.noteWhole(rec)
		return
	}
	i, ok := b.calls[rec.CallID]
	if !ok {
		return
	}
	c := &b.turn.Tools[i]
	c.Permission, c.ChangedPaths, c.Sandboxed, c.ExitCode = rec.Permission, rec.ChangedPaths, rec.Sandboxed, rec.ExitCode
}

// noteWhole adds a call that has no history item where its record came: a
// call a code-mode script made comes after the exec (or wait) call that
// was running it, as the editor saw it live; a web search, before the
// text of its step. A record is written as its call ends, so calls a
// script made at once (Promise.all) and that ended out of order are put
// back in the order the script made them, which their ids say.
func (b *builder) noteWhole(rec *CallRecord) {
	if _, dup := b.calls[rec.CallID]; dup {
		return
	}
	t := b.turn
	i := len(t.Tools)
	b.calls[rec.CallID] = i
	t.Tools = append(t.Tools, StoredTool{CallID: rec.CallID, Name: rec.Name, Arguments: rec.Arguments, OK: rec.OK, Output: rec.Output,
		ParentCallID: rec.ParentCallID, Permission: rec.Permission, ChangedPaths: rec.ChangedPaths, Sandboxed: rec.Sandboxed,
		ExitCode: rec.ExitCode, done: true})
	t.Parts = append(t.Parts, TurnPart{Kind: PartTool, Tool: i})
	// Move it before the calls of the same script just before it that it
	// was made before.
	for k := len(t.Parts) - 1; k > 0 && i > 0; k, i = k-1, i-1 {
		prev := t.Parts[k-1]
		if rec.ParentCallID == "" || prev.Kind != PartTool || prev.Tool != i-1 || t.Tools[i-1].ParentCallID != rec.ParentCallID ||
			!nestedBefore(rec.CallID, t.Tools[i-1].CallID) {
			break
		}
		t.Tools[i-1], t.Tools[i] = t.Tools[i], t.Tools[i-1]
		b.calls[t.Tools[i-1].CallID], b.calls[t.Tools[i].CallID] = i-1, i
	}
}

// nestedBefore says whether nested call id a was made before b: ids are
// "<parent>/<cell>.<n>", numbered in the order the script made them.
func nestedBefore(a, b string) bool {
	ca, na, oka := nestedSeq(a)
	cb, nb, okb := nestedSeq(b)
	if !oka || !okb {
		return false
	}
	return ca < cb || ca == cb && na < nb
}

func nestedSeq(id string) (cell, n int, ok bool) {
	i := strings.LastIndexByte(id, '/')
	c, m, found := strings.Cut(id[i+1:], ".")
	if !found {
		return 0, 0, false
	}
	cell, err1 := strconv.Atoi(c)
	n, err2 := strconv.Atoi(m)
	return cell, n, err1 == nil && err2 == nil
}

// noteUndo fills each turn's changed files and undo state from the undo
// records of the file (older files have them too).
func (s *Stored) noteUndo() {
	var log undoLog
	for _, rec := range s.Extra {
		if rec.Type != RecordUndo {
			continue
		}
		if e, ok := decodeUndo(rec.Data); ok {
			log.apply(rec.TurnID, e)
		}
	}
	for i := range s.Turns {
		t := &s.Turns[i]
		tc := log.turnLocked(t.TurnID, false)
		if tc == nil {
			continue
		}
		restorable := false
		for _, f := range tc.Files {
			if !slices.Contains(t.ChangedPaths, f.Path) {
				t.ChangedPaths = append(t.ChangedPaths, f.Path)
			}
			restorable = restorable || !(f.Expired || f.TooLarge)
		}
		t.Undone = tc.Undone
		t.Undoable = restorable && !tc.Undone
	}
}

func decodeUndo(data []byte) (undoEntry, bool) {
	var e undoEntry
	return e, json.Unmarshal(data, &e) == nil
}
