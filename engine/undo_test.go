package engine

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/tools"
)

// A session keeps a bounded amount of content for undo: the oldest turns'
// contents go first, and undo then says why it cannot restore them.
func TestUndoLogIsBounded(t *testing.T) {
	var l undoLog
	big := []byte(strings.Repeat("x", 7<<20))
	for i := range 12 {
		before := tools.FileState{Path: "f.txt", Exists: true, Content: big, Sum: sha256.Sum256(big)}
		after := tools.FileState{Path: "f.txt", Exists: true, Sum: [32]byte{byte(i + 1)}}
		if !l.record(string(rune('a'+i)), before, nil, after) {
			t.Fatal("a change was not recorded")
		}
	}
	kept, expired := 0, 0
	for _, tc := range l.turns {
		for _, f := range tc.Files {
			kept += len(f.Before)
			if f.Expired {
				expired++
			}
		}
	}
	if kept > undoMaxSession || expired == 0 || !l.turns[0].Files[0].Expired || l.turns[11].Files[0].Expired {
		t.Errorf("kept %d bytes, %d expired", kept, expired)
	}
	if reason := restore(nil, l.turns[0].Files[0], true); !strings.Contains(reason, "no longer kept") {
		t.Errorf("reason %q", reason)
	}
}

// An unchanged file is not a change.
func TestUndoLogSkipsNoChange(t *testing.T) {
	var l undoLog
	st := tools.FileState{Path: "a", Exists: true, Content: []byte("x"), Sum: sha256.Sum256([]byte("x"))}
	if l.record("t1", st, nil, st) || len(l.turns) != 0 {
		t.Errorf("an unchanged file was recorded")
	}
}

// What a session file keeps of undo rebuilds the same record.
func TestUndoEntriesRoundTrip(t *testing.T) {
	var l undoLog
	st := func(path, content string, exists bool) tools.FileState {
		s := tools.FileState{Path: path, Exists: exists}
		if exists {
			s.Content, s.Sum = []byte(content), sha256.Sum256([]byte(content))
		}
		return s
	}
	var written []undoEntry
	l.record("t1", st("a", "one", true), nil, st("a", "two", true))
	l.ranBash("t1")
	written = append(written, l.entries("t1", []string{"a"})...)
	l.record("t1", st("a", "two", true), nil, st("a", "three", true))
	l.record("t1", st("b", "", false), nil, st("b", "new", true))
	written = append(written, l.entries("t1", []string{"a", "b"})...)
	if len(written) != 4 || written[2].File.Before != nil {
		t.Fatalf("entries %+v", written)
	}
	var back undoLog
	for _, e := range written {
		back.apply("t1", e)
	}
	back.apply("t1", undoEntry{Undone: true})
	got, want := back.turns[0], l.turns[0]
	if len(got.Files) != 2 || !got.RanBash || !got.Undone ||
		string(got.Files[0].Before) != "one" || got.Files[0].AfterSum != want.Files[0].AfterSum ||
		got.Files[1].BeforeExists || got.Files[1].AfterSum != sha256.Sum256([]byte("new")) {
		t.Errorf("rebuilt %+v", got)
	}
}
