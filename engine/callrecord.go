package engine

import (
	"encoding/json"
	"slices"
	"sync"

	"github.com/deckhand-dev/deckhand/tools/sandbox"
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

// verdicts keeps the user's answers to the running turn's permission
// requests until the call's end records them.
type verdicts struct {
	mu sync.Mutex
	m  map[string]Verdict
}

func (v *verdicts) note(callID string, verdict Verdict) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = map[string]Verdict{}
	}
	v.m[callID] = verdict
}

func (v *verdicts) take(callID string) (Verdict, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	verdict, ok := v.m[callID]
	delete(v.m, callID)
	return verdict, ok
}

// permission says how call c, which ended with oc, was let run or not; nil
// for a call that needed no permission, or that failed before it came to
// one (an edit that does not apply is not asked about). Who decided when
// the user was not asked is read from the same state permit read.
func (t *turn) permission(c Item, oc callOutcome) *CallPermission {
	if v, ok := t.verdicts.take(c.CallID); ok {
		p := &CallPermission{Decision: v.Decision, By: PermitUser, Reason: v.Reason}
		if p.Decision != Allow && p.Decision != AllowAlways {
			p.Decision = Deny
		}
		return p
	}
	tool := t.tool(c.Name)
	if tool == nil || (tool.ReadOnly() && !t.guarded(c)) {
		return nil
	}
	plan, msg := t.planCommand(c)
	switch {
	case msg != "":
		return nil // bad arguments, not a decision
	case plan != nil && plan.Action == sandbox.Refuse:
		return &CallPermission{Decision: Deny, By: PermitPolicy, Reason: plan.Reason}
	case plan != nil && plan.Action != sandbox.Ask:
		return &CallPermission{Decision: Allow, By: PermitPolicy}
	}
	if oc.output == "cancelled by the user" && !oc.ok {
		return nil
	}
	switch {
	case t.s.allowedAlways(plan.alwaysKey(c.Name)):
		return &CallPermission{Decision: Allow, By: PermitSession}
	case t.s.permissions:
		return nil // it would have been asked: it failed before that
	case t.e.cfg.AllowAll:
		return &CallPermission{Decision: Allow, By: PermitAllowAll}
	}
	return &CallPermission{Decision: Deny, By: PermitPolicy, Reason: oc.output}
}

// recordCall writes what the session file keeps of a call's end.
func (t *turn) recordCall(c Item, oc callOutcome) {
	rec := &CallRecord{CallID: c.CallID, Permission: t.permission(c, oc), ChangedPaths: oc.changed,
		Sandboxed: oc.sandboxed, ExitCode: oc.exit}
	if rec.Permission == nil && len(rec.ChangedPaths) == 0 && rec.Sandboxed == nil && rec.ExitCode == nil {
		return
	}
	t.record(&Record{Type: RecordCall, Call: rec})
}

// noteCall adds a call record to the transcript of the open turn.
func (b *builder) noteCall(rec *CallRecord) {
	if b.turn == nil || rec == nil {
		return
	}
	i, ok := b.calls[rec.CallID]
	if !ok {
		return
	}
	c := &b.turn.Tools[i]
	c.Permission, c.ChangedPaths, c.Sandboxed, c.ExitCode = rec.Permission, rec.ChangedPaths, rec.Sandboxed, rec.ExitCode
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
