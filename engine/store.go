package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/deckhand-dev/deckhand/auth"
)

// Store keeps sessions on disk, one append-only JSON Lines file per session
// (<dir>/<id>.jsonl, 0600, in a 0700 folder): a header record, then records
// written as each turn runs. Nothing is ever rewritten, so a turn costs the
// same on the thousandth turn as on the first, and a crash loses at most the
// line being written (a torn last line is dropped on load). A lock file
// beside each session (<id>.lock) keeps two processes from running turns on
// it at once.
type Store struct {
	dir string
}

// NewStore returns the store of the sessions under dir. Nothing is created
// until a session is written.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// Dir is where the session files live.
func (st *Store) Dir() string { return st.dir }

// FormatVersion is the version the header of a session file carries.
const FormatVersion = 1

// RecordType says what a record of a session file holds. The values are
// stored: never change one, add new ones. A loader skips types it does not
// know, so a newer deckhand's records leave an older one able to read the
// file.
type RecordType string

// Record types.
const (
	// RecordSession is the header, the first line: SessionID, WorkspaceRoot,
	// Title, Version, At.
	RecordSession RecordType = "session"
	// RecordTurn opens a turn: TurnID, Message, Model, Effort, At, and
	// RetryOf when it replaces a turn that ended before the model said
	// anything (retry.go).
	RecordTurn RecordType = "turn"
	// RecordItem is one history item of the open turn: TurnID, Item.
	RecordItem RecordType = "item"
	// RecordEnd closes a turn: TurnID, StopReason, Text, Error, Steps, Usage.
	RecordEnd RecordType = "end"
	// RecordHistory replaces the whole history with Items (a compaction):
	// the items before it are no longer sent, the transcript keeps them.
	RecordHistory RecordType = "history"
	// RecordSettings keeps the model and effort a session chose between
	// turns: Model, Effort, At.
	RecordSettings RecordType = "settings"
)

// Record is one line of a session file. Type is its first member, so a
// reader can tell a record's type from the start of its line.
type Record struct {
	Type RecordType `json:"type"`
	At   string     `json:"at,omitempty"` // RFC 3339, UTC

	// RecordSession
	Version       int    `json:"version,omitempty"`
	SessionID     string `json:"sessionId,omitempty"`
	WorkspaceRoot string `json:"workspaceRoot,omitempty"`
	Title         string `json:"title,omitempty"`

	// RecordTurn, RecordItem, RecordEnd and other per-turn records
	TurnID  string `json:"turnId,omitempty"`
	Message string `json:"message,omitempty"`
	Model   string `json:"model,omitempty"`
	// Effort is the reasoning effort the turn was asked for ("" for the
	// default); DefaultModel says Model was the login's default, not chosen.
	Effort       string `json:"effort,omitempty"`
	DefaultModel bool   `json:"defaultModel,omitempty"`
	// Attachments names what the message came with (callrecord.go).
	Attachments []AttachmentRef `json:"attachments,omitempty"`
	// RetryOf names the turn this one replaces (retry.go); a loader that
	// does not know it keeps both messages, as deckhand once did.
	RetryOf string `json:"retryOf,omitempty"`

	Item  *Item  `json:"item,omitempty"`  // RecordItem
	Items []Item `json:"items,omitempty"` // RecordHistory

	// RecordEnd
	StopReason StopReason `json:"stopReason,omitempty"`
	Text       string     `json:"text,omitempty"`
	Error      string     `json:"error,omitempty"`
	Steps      int        `json:"steps,omitempty"`
	Usage      *Usage     `json:"usage,omitempty"`

	// RecordCall (callrecord.go)
	Call *CallRecord `json:"call,omitempty"`

	// Data holds the body of record types added by other parts of the
	// engine (a turn's undo snapshots, say), which the loader hands back
	// as they are in Stored.Extra.
	Data json.RawMessage `json:"data,omitempty"`
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// validID accepts the ids deckhand makes, and nothing that could name a path
// outside the store: 1 to 128 ASCII letters, digits, '_' and '-', the first
// a letter or digit. (Written out rather than as a regexp: compiling
// `{0,127}` cost startup a fifth of a millisecond.)
func validID(id string) bool {
	if len(id) == 0 || len(id) > 128 || id[0] == '_' || id[0] == '-' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (st *Store) path(id string) string { return filepath.Join(st.dir, id+".jsonl") }
func (st *Store) lockPath(id string) string {
	return filepath.Join(st.dir, id+".lock")
}

// Exists says whether a session file with the id is stored.
func (st *Store) Exists(id string) bool {
	if !validID(id) {
		return false
	}
	_, err := os.Lstat(st.path(id))
	return err == nil
}

// ensureDir makes the store's folder, 0700; a folder open to others is
// tightened, since sessions hold the user's code and conversations.
func (st *Store) ensureDir() error {
	if err := os.MkdirAll(st.dir, 0o700); err != nil {
		return fmt.Errorf("create the sessions folder: %w", err)
	}
	info, err := os.Stat(st.dir)
	if err != nil {
		return fmt.Errorf("sessions folder: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(st.dir, 0o700); err != nil {
			return fmt.Errorf("make the sessions folder private: %w", err)
		}
	}
	return nil
}

// Stored is a session read back from its file.
type Stored struct {
	Summary SessionSummary
	History []Item       // what the next request sends, repaired
	Turns   []StoredTurn // the transcript, every turn ever run
	Extra   []Record     // records of types this loader does not know
	// Dangling is the last turn's message when that turn ended with
	// nothing after it, for a retry to replace (retry.go).
	Dangling dangling
	Size     int64 // bytes read: the file's valid part
}

// SessionSummary describes a stored session for a list.
type SessionSummary struct {
	SessionID     string
	Title         string
	WorkspaceRoot string
	Model         string // of the last turn, or chosen since (RecordSettings)
	Effort        string // likewise ("" before effort was stored, or the default)
	// ChosenModel is Model when it was chosen, not the login's default:
	// what a continued session keeps.
	ChosenModel string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Turns       int
	// Broken: the file cannot be read; Error says why. It stays on disk.
	Broken bool
	Error  string
}

// StoredTurn is one turn of a transcript, for an editor to render again.
type StoredTurn struct {
	TurnID     string
	Message    string
	Model      string
	Effort     string
	Text       string
	Tools      []StoredTool
	StopReason StopReason // "" while the turn runs, or when the process died in it
	Error      string
	// Usage is what the turn's end recorded: its tokens and how full the
	// context window was after it.
	Usage Usage
	// StepCount is how many steps the turn's end recorded (0: none, or a
	// file whose end did not say).
	StepCount int
	// Parts is what the turn did in the order it happened: its steps'
	// text, reasoning summaries and calls (an index into Tools), as an
	// editor showed them live. It is the one record of that order:
	// sessions/load's steps and an ACP replay are both read from it.
	Parts []TurnPart
	// Attachments names what the message came with.
	Attachments []AttachmentRef
	// ChangedPaths lists the files the turn's write, edit and apply_patch
	// calls changed; Undoable says undo can still put some back, Undone
	// that it did.
	ChangedPaths []string
	Undoable     bool
	Undone       bool
	// RetryOf names the turn this one replaced, which ended before the
	// model said anything, and RetriedError is how that turn ended.
	RetryOf      string
	RetriedError string
}

// PartKind says what a TurnPart is.
type PartKind string

// Turn part kinds.
const (
	PartText      PartKind = "text"
	PartReasoning PartKind = "reasoning"
	PartTool      PartKind = "tool"
)

// TurnPart is one thing a stored turn did: Text for text and reasoning,
// Tool (an index into StoredTurn.Tools) for a call.
type TurnPart struct {
	Kind PartKind
	Text string
	Tool int
}

// StoredTool is one tool call of a turn.
type StoredTool struct {
	CallID    string
	Name      string
	Arguments json.RawMessage
	OK        bool
	Output    string // cut to DisplayLimit
	// Permission, ChangedPaths, Sandboxed and ExitCode are what the call's
	// record kept (callrecord.go); absent from older files.
	Permission   *CallPermission
	ChangedPaths []string
	Sandboxed    *bool
	ExitCode     *int
	// ParentCallID names the code-mode exec call whose script made this
	// call ("" for the model's own calls).
	ParentCallID string
	done         bool
}

// BrokenError: a session file cannot be read. The file is left alone.
type BrokenError struct {
	SessionID string
	Reason    string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("the file of session %s cannot be read: %s", e.SessionID, e.Reason)
}

// Load reads a session file. A torn last line (a crash in the middle of a
// write) is dropped; any other unreadable line makes the file broken.
func (st *Store) Load(id string) (*Stored, error) {
	if !validID(id) {
		return nil, &UnknownSessionError{SessionID: id}
	}
	f, err := auth.OpenRegular(st.path(id), os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &UnknownSessionError{SessionID: id}
	}
	if err != nil {
		return nil, &BrokenError{SessionID: id, Reason: err.Error()}
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, &BrokenError{SessionID: id, Reason: err.Error()}
	}
	if info.Size() > MaxSessionFile {
		return nil, &BrokenError{SessionID: id, Reason: fmt.Sprintf("it is larger than %d MiB, more than deckhand loads", MaxSessionFile>>20)}
	}
	var b builder
	b.s.Summary.UpdatedAt = info.ModTime()
	if err := readRecords(f, false, b.add); err != nil {
		return nil, &BrokenError{SessionID: id, Reason: err.Error()}
	}
	if b.s.Summary.SessionID != id {
		return nil, &BrokenError{SessionID: id, Reason: fmt.Sprintf("its header names session %q", b.s.Summary.SessionID)}
	}
	b.finish()
	return &b.s, nil
}

// maxLine bounds one record; a longer line is a broken file, not an
// allocation without end.
const maxLine = 64 << 20

// MaxSessionFile is the largest session file deckhand loads: a session
// lives in memory whole, and a crafted 1 GiB file made a chat take 13.5 GB.
// A longer session is compacted well before it gets there.
const MaxSessionFile = 128 << 20

// readRecords calls add for each complete record of r, in order, with the
// offset after it. The header must come first. A last line without its
// newline is a torn write and is skipped. light decodes only headers and
// turn records, and checks only that the others look like records (a list
// needs no more, and reads every file).
func readRecords(r io.Reader, light bool, add func(rec *Record, end int64) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var off int64
	var line []byte
	for n := 1; ; n++ {
		line = line[:0]
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			line = append(line, chunk...)
			if len(line) > maxLine {
				return fmt.Errorf("line %d is longer than %d MiB", n, maxLine>>20)
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if err == io.EOF {
			if n == 1 && len(line) == 0 {
				return errors.New("it is empty")
			}
			return nil // a torn last line, or none
		}
		if err != nil {
			return err
		}
		off += int64(len(line))
		body := bytes.TrimSpace(line)
		if len(body) == 0 {
			continue
		}
		if light && n > 1 && !bytes.HasPrefix(body, turnPrefix) {
			// A list reads every file: a record's shape is checked, its
			// content is for Load to read.
			if body[0] != '{' || body[len(body)-1] != '}' {
				return fmt.Errorf("line %d is not a valid record", n)
			}
			continue
		}
		var rec Record
		if err := json.Unmarshal(body, &rec); err != nil {
			return fmt.Errorf("line %d is not a valid record", n)
		}
		if n == 1 && rec.Type != RecordSession {
			return errors.New("it does not start with a session header")
		}
		if err := add(&rec, off); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
}

// turnPrefix starts every turn record, as json.Marshal writes it.
var turnPrefix = []byte(`{"type":"turn"`)

// builder folds records into a Stored.
type builder struct {
	s     Stored
	turn  *StoredTurn
	calls map[string]int // call id -> index in turn.Tools
	items turnItems      // what the open turn added (retry.go)
}

func (b *builder) add(rec *Record, end int64) error {
	b.s.Size = end
	switch rec.Type {
	case RecordSession:
		if b.s.Summary.SessionID != "" {
			return errors.New("a second session header")
		}
		if rec.Version > FormatVersion {
			return fmt.Errorf("written by a newer deckhand (format %d)", rec.Version)
		}
		if rec.SessionID == "" || rec.WorkspaceRoot == "" {
			return errors.New("the header lacks the session id or workspace root")
		}
		b.s.Summary.SessionID, b.s.Summary.WorkspaceRoot, b.s.Summary.Title = rec.SessionID, rec.WorkspaceRoot, rec.Title
		b.s.Summary.CreatedAt, _ = time.Parse(time.RFC3339Nano, rec.At)
	case RecordTurn:
		b.closeTurn()
		note, retried := b.retryRecord(rec.RetryOf)
		b.s.Turns = append(b.s.Turns, StoredTurn{TurnID: rec.TurnID, Message: rec.Message, Model: rec.Model, Effort: rec.Effort, Attachments: rec.Attachments})
		b.turn = &b.s.Turns[len(b.s.Turns)-1]
		if retried {
			b.turn.RetryOf, b.turn.RetriedError = rec.RetryOf, note
		}
		b.calls = map[string]int{}
		b.items = turnItems{userOnly: true}
		b.s.Summary.Model, b.s.Summary.Effort = rec.Model, rec.Effort
		b.s.Summary.ChosenModel = rec.Model
		if rec.DefaultModel {
			b.s.Summary.ChosenModel = ""
		}
	case RecordItem:
		if rec.Item == nil {
			return errors.New("an item record without its item")
		}
		if err := rec.Item.Check(); err != nil {
			return err
		}
		b.s.History = append(b.s.History, *rec.Item)
		b.items.n++
		b.items.userOnly = b.items.userOnly && rec.Item.Kind == ItemUser
		b.note(*rec.Item)
	case RecordEnd:
		if b.turn != nil && b.turn.TurnID == rec.TurnID {
			// The end's text is what the turn answered, a cancelled step's
			// partial text included.
			b.turn.StopReason, b.turn.Text, b.turn.Error = rec.StopReason, rec.Text, rec.Error
			b.turn.StepCount = rec.Steps
			if rec.Usage != nil {
				b.turn.Usage = *rec.Usage
			}
			b.endDangling(b.turn, rec)
			b.closeTurn()
		}
	case RecordCall:
		b.noteCall(rec.Call)
	case RecordSettings:
		b.s.Summary.Model, b.s.Summary.Effort = rec.Model, rec.Effort
		b.s.Summary.ChosenModel = rec.Model
	case RecordHistory:
		for _, it := range rec.Items {
			if err := it.Check(); err != nil {
				return err
			}
		}
		b.s.History = append([]Item(nil), rec.Items...)
		b.items.replaced = true
	default:
		b.s.Extra = append(b.s.Extra, *rec)
	}
	return nil
}

// note adds an item to the transcript of the open turn.
func (b *builder) note(it Item) {
	if b.turn == nil {
		return
	}
	switch it.Kind {
	case ItemReasoning:
		if text := strings.Join(it.Summary, "\n\n"); text != "" {
			b.turn.Parts = append(b.turn.Parts, TurnPart{Kind: PartReasoning, Text: text})
		}
	case ItemAssistant:
		// Until the turn's end record says otherwise, its text is what
		// its steps said.
		if b.turn.Text != "" {
			b.turn.Text += "\n\n"
		}
		b.turn.Text += it.Text
		b.turn.Parts = append(b.turn.Parts, TurnPart{Kind: PartText, Text: it.Text})
	case ItemCall:
		b.calls[it.CallID] = len(b.turn.Tools)
		b.turn.Parts = append(b.turn.Parts, TurnPart{Kind: PartTool, Tool: len(b.turn.Tools)})
		b.turn.Tools = append(b.turn.Tools, StoredTool{CallID: it.CallID, Name: it.Name, Arguments: callArguments(it)}) // as chat/toolCall gave them
	case ItemOutput:
		if i, ok := b.calls[it.CallID]; ok {
			c := &b.turn.Tools[i]
			c.OK, c.Output, c.done = it.OK, cut(it.Text, DisplayLimit), true
		}
	}
}

func (b *builder) closeTurn() {
	b.turn, b.calls = nil, nil
}

// finish repairs what a process that died mid-turn left: calls without an
// output get one, outputs without a call are dropped (no request may carry
// them), and a turn without an end is marked cancelled.
func (b *builder) finish() {
	b.s.History = sanitize(b.s.History)
	for i := range b.s.Turns {
		t := &b.s.Turns[i]
		if t.StopReason == "" {
			t.StopReason, t.Error = StopCancelled, "deckhand stopped before this turn ended"
		}
		for j := range t.Tools {
			if !t.Tools[j].done {
				t.Tools[j].Output = "not run: deckhand stopped during the turn"
			}
		}
	}
	b.s.Summary.Turns = len(b.s.Turns)
	b.s.noteUndo()
}

// sanitize makes a stored history valid to send: an output only after its
// call, and every call answered.
func sanitize(h []Item) []Item {
	calls := map[string]bool{}
	out := h[:0:0]
	for _, it := range h {
		switch it.Kind {
		case ItemCall:
			calls[it.CallID] = true
		case ItemOutput:
			if !calls[it.CallID] {
				continue
			}
		}
		out = append(out, it)
	}
	return repair(out, "not run: deckhand stopped during the turn")
}

// Title makes a session's title from its first message: the first line
// that says something, cut to 80 characters.
func Title(message string) string {
	for _, line := range strings.Split(message, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			continue
		}
		if r := []rune(line); len(r) > 80 {
			return string(r[:79]) + "…"
		}
		return line
	}
	return ""
}
