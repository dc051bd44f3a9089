package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/tools"
	"github.com/deckhand-dev/deckhand/tools/codemode"
)

// Diagnostics from the editor (PROTOCOL 1.2): around a step whose calls
// change files, the editor is asked what its language servers report for
// those files, once before the first of them changes a file and once after
// the step's calls ran; the problems the change introduced are added to
// the output the model gets of the step's last call that changed files.
// The file calls of a code-mode script count as the step's, told in the
// output of its exec (or wait) call. Commands are not followed: what one
// changed is known only by watching the whole workspace (git status and
// the command's output are guesses), which would cost every command a
// walk of the tree.

// Diagnostic is one problem an editor's language server reports.
type Diagnostic struct {
	Path               string // relative to the workspace root, as asked
	StartLine, EndLine int    // 1-based
	Severity           string // SeverityError or SeverityWarning
	Message            string
	Source             string // the language server or linter ("" when unknown)
}

// Diagnostic severities; an editor's others (information, hints) are not
// passed on.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// DiagnosticsClient is a Client that reports its language servers'
// problems for files of the workspace.
type DiagnosticsClient interface {
	// ServesDiagnostics says whether the editor of the session answers
	// Diagnostics.
	ServesDiagnostics(sessionID string) bool
	Diagnostics(ctx context.Context, req DiagnosticsRequest) ([]Diagnostic, error)
}

// DiagnosticsRequest asks for the problems of Paths (relative to the
// root); After says the step's calls changed them (the editor may let its
// language servers settle first), false that they are about to run.
type DiagnosticsRequest struct {
	SessionID string
	Paths     []string
	After     bool
}

// Bounds of the diagnostics exchange.
const (
	// DefaultDiagnosticsWait is how long the editor has to answer one
	// request (it may wait for its language servers to settle); past it
	// the step goes on without diagnostics.
	DefaultDiagnosticsWait = 5 * time.Second
	// diagMaxProblems and diagMaxBytes bound what the model is told.
	diagMaxProblems = 50
	diagMaxBytes    = 8 << 10
	// diagMaxMessage bounds one problem's message.
	diagMaxMessage = 500
)

// fileChangers are the tools whose calls change files whose paths their
// arguments name.
var fileChangers = map[string]bool{"write": true, "edit": true, "apply_patch": true}

// diagBefore is what the editor reported before a step's calls ran.
type diagBefore struct {
	client DiagnosticsClient
	counts map[diagKey]int
}

// diagStep is the diagnostics exchange of the step running now: the editor
// is asked before the first of its calls that passed permission changes a
// file, so a step whose changes were all denied asks nothing.
type diagStep struct {
	mu     sync.Mutex
	calls  []Item
	asked  bool
	before *diagBefore // nil: not asked, or no answer
	// covered are the paths asked about before; nested lists the files
	// the write, edit and apply_patch calls of a code-mode script changed
	// during the step (diagnosticsNested).
	covered []string
	nested  []string
}

// diagnosticsBeforeChange is called as call c is about to change files:
// the first time in a step, the editor is asked about every file the
// step's calls would change. A call a code-mode script makes is not one of
// the step's (what a script will change is known only as it runs): it
// asks, before its change, about those of its files not asked about yet.
func (t *turn) diagnosticsBeforeChange(ctx context.Context, c Item) {
	st := t.diag.Load()
	if st == nil || !fileChangers[c.Name] {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	own := slices.ContainsFunc(st.calls, func(s Item) bool { return s.CallID == c.CallID })
	if !own && lastCodeCall(st.calls) < 0 {
		return // a script left running by an earlier step: no output of this one tells the model
	}
	if !st.asked {
		st.asked = true
		calls := st.calls
		if !own {
			calls = append(slices.Clip(calls), c)
		}
		st.before, st.covered = t.diagnosticsBefore(ctx, calls)
		return
	}
	if own || st.before == nil {
		return // asked already, or the editor did not answer: skipped for the step
	}
	var paths []string
	for _, p := range changeTargets(c, t.env()) {
		if !slices.Contains(st.covered, p) && !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return
	}
	got, ok := t.askDiagnostics(ctx, st.before.client, paths, false)
	if !ok {
		st.before = nil
		return
	}
	st.covered = append(st.covered, paths...)
	for _, d := range got {
		st.before.counts[keyOf(d)]++
	}
}

// diagnosticsNested notes the files a call of a code-mode script changed,
// for the end of the step's exchange.
func (t *turn) diagnosticsNested(c Item, changed []string) {
	st := t.diag.Load()
	if st == nil || !fileChangers[c.Name] || len(changed) == 0 {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, p := range changed {
		if !slices.Contains(st.nested, p) {
			st.nested = append(st.nested, p)
		}
	}
}

// diagnosticsStep starts the exchange of a step, and returns the function
// that ends it once the calls ran (diagnosticsAfter).
func (t *turn) diagnosticsStep(calls []Item) func(ctx context.Context, outcomes []callOutcome, out []Item) {
	st := &diagStep{calls: calls}
	t.diag.Store(st)
	return func(ctx context.Context, outcomes []callOutcome, out []Item) {
		t.diag.CompareAndSwap(st, nil)
		st.mu.Lock()
		b, nested := st.before, st.nested
		st.mu.Unlock()
		t.diagnosticsAfter(ctx, b, calls, outcomes, out, nested)
	}
}

// diagKey is what matches a problem before and after a change: not its
// lines, which an edit above it moves.
type diagKey struct{ path, severity, source, message string }

func keyOf(d Diagnostic) diagKey { return diagKey{d.Path, d.Severity, d.Source, d.Message} }

// diagnosticsBefore asks the editor about the files the step's calls
// would change, before they change them, and says which paths it asked
// about; nil when it is not to be asked, or did not answer (the step then
// goes without diagnostics).
func (t *turn) diagnosticsBefore(ctx context.Context, calls []Item) (*diagBefore, []string) {
	dc, ok := t.client.(DiagnosticsClient)
	if !ok || !dc.ServesDiagnostics(t.s.ID) {
		return nil, nil
	}
	env := t.env()
	var paths []string
	for _, c := range calls {
		for _, p := range changeTargets(c, env) {
			if !slices.Contains(paths, p) {
				paths = append(paths, p)
			}
		}
	}
	if len(paths) == 0 {
		return nil, nil
	}
	got, ok := t.askDiagnostics(ctx, dc, paths, false)
	if !ok {
		return nil, nil
	}
	b := &diagBefore{client: dc, counts: map[diagKey]int{}}
	for _, d := range got {
		b.counts[keyOf(d)]++
	}
	return b, paths
}

// diagnosticsAfter asks the editor again about the files the step's calls
// changed and adds what the change introduced to the output of the last
// call that changed files. The files a code-mode script changed (nested)
// count as changed by the step's last exec or wait call: its output is
// what the model gets of them.
func (t *turn) diagnosticsAfter(ctx context.Context, b *diagBefore, calls []Item, outcomes []callOutcome, out []Item, nested []string) {
	if b == nil {
		return
	}
	var changed []string
	last, code := -1, -1
	if len(nested) > 0 {
		code = lastCodeCall(calls)
	}
	for i, c := range calls {
		mine := outcomes[i].changed
		if !fileChangers[c.Name] {
			mine = nil
		}
		if i == code {
			mine = append(slices.Clip(mine), nested...)
		}
		if len(mine) == 0 {
			continue
		}
		last = i
		for _, p := range mine {
			if !slices.Contains(changed, p) {
				changed = append(changed, p)
			}
		}
	}
	if last < 0 || ctx.Err() != nil {
		return
	}
	got, ok := t.askDiagnostics(ctx, b.client, changed, true)
	if !ok {
		return
	}
	if note := diagnosticsNote(introduced(b.counts, got)); note != "" {
		out[last].Text += "\n\n" + note
	}
}

// lastCodeCall is the index of the last exec or wait call among calls, or -1.
func lastCodeCall(calls []Item) int {
	for i := len(calls) - 1; i >= 0; i-- {
		if n := calls[i].Name; n == codemode.ExecName || n == codemode.WaitName {
			return i
		}
	}
	return -1
}

// askDiagnostics asks the editor, within the wait; ok is false when it
// did not answer in time, failed, or the turn was cancelled. Only errors
// and warnings of the paths asked about are kept.
func (t *turn) askDiagnostics(ctx context.Context, dc DiagnosticsClient, paths []string, after bool) ([]Diagnostic, bool) {
	wait := t.e.cfg.DiagnosticsWait
	if wait <= 0 {
		wait = DefaultDiagnosticsWait
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	got, err := dc.Diagnostics(ctx, DiagnosticsRequest{SessionID: t.s.ID, Paths: paths, After: after})
	if err != nil {
		t.e.log.Info("no diagnostics from the editor for this step", zap.String("session", t.s.ID), zap.Strings("paths", paths), zap.Error(err))
		return nil, false
	}
	root := t.s.root
	kept := got[:0:0]
	for _, d := range got {
		d.Path = relPath(root, d.Path)
		// Cut alike before and after, a message still matches itself.
		d.Message, d.Source = cut(oneLine(d.Message), diagMaxMessage), cut(oneLine(d.Source), 64)
		if (d.Severity == SeverityError || d.Severity == SeverityWarning) && slices.Contains(paths, d.Path) {
			kept = append(kept, d)
		}
	}
	return kept, true
}

// introduced is what after holds that before did not: each problem of
// before matches one equal problem of after, whatever its lines.
func introduced(before map[diagKey]int, after []Diagnostic) []Diagnostic {
	left := make(map[diagKey]int, len(before))
	for k, n := range before {
		left[k] = n
	}
	var out []Diagnostic
	for _, d := range after {
		if k := keyOf(d); left[k] > 0 {
			left[k]--
			continue
		}
		out = append(out, d)
	}
	return out
}

// diagnosticsNote tells the model the problems its change introduced,
// errors first, at most diagMaxProblems of them in diagMaxBytes.
func diagnosticsNote(ds []Diagnostic) string {
	if len(ds) == 0 {
		return ""
	}
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		if a.Severity != b.Severity {
			if a.Severity == SeverityError {
				return -1
			}
			return 1
		}
		return 0
	})
	var b strings.Builder
	b.WriteString("The editor's language servers report problems this change introduced:\n")
	shown := 0
	for _, d := range ds {
		var line strings.Builder
		line.WriteString(d.Path)
		if d.StartLine > 0 {
			fmt.Fprintf(&line, ":%d", d.StartLine)
		}
		fmt.Fprintf(&line, ": %s: %s", d.Severity, cut(oneLine(d.Message), diagMaxMessage))
		if d.Source != "" {
			fmt.Fprintf(&line, " (%s)", cut(oneLine(d.Source), 64))
		}
		line.WriteByte('\n')
		if shown == diagMaxProblems || b.Len()+line.Len() > diagMaxBytes-64 {
			break
		}
		b.WriteString(line.String())
		shown++
	}
	if rest := len(ds) - shown; rest > 0 {
		fmt.Fprintf(&b, "(%d more not shown)\n", rest)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// changeTargets are the paths, relative to the root, that call c would
// change: a write's or edit's path, every file of a patch.
func changeTargets(c Item, env *tools.Env) []string {
	if !fileChangers[c.Name] {
		return nil
	}
	var paths []string
	if c.Name == "apply_patch" {
		paths = tools.PatchPaths(env, tools.PatchInput(json.RawMessage(c.Arguments)))
	} else if p, ok := tools.Target(c.Name, json.RawMessage(c.Arguments)); ok {
		paths = []string{p}
	}
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if real, err := tools.Resolve(env.Root, p); err == nil {
			out = append(out, relPath(env.Root, real))
		}
	}
	return out
}

// relPath is path relative to root, with slashes, as changedPaths give
// it; a relative path is taken as it is.
func relPath(root, path string) string {
	if filepath.IsAbs(path) {
		if rel, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(rel, "..") {
			path = rel
		}
	}
	return filepath.ToSlash(filepath.Clean(path))
}
