package tools

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBuffers is an editor holding buffers: a path it has a buffer for
// reads from the buffer, any other from the disk.
type fakeBuffers struct {
	mu      sync.Mutex
	buffers map[string]string
	overlay *Overlay
	reads   []string
}

func (b *fakeBuffers) ReadText(path string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reads = append(b.reads, path)
	if text, ok := b.buffers[path]; ok {
		b.overlay.Record(path, text)
		return text, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", errors.New("resource not found")
	}
	b.overlay.Record(path, string(data))
	return string(data), nil
}

func (b *fakeBuffers) WriteText(path, content string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buffers[path] = content
	b.overlay.Record(path, content)
	return nil
}

func TestOverlayGrepGlobList(t *testing.T) {
	env := newTestEnv(t, map[string]string{"a.go": "package a // on disk\n", "sub/b.go": "package b\n"})
	env.Overlay = NewOverlay()
	// A buffer that differs from the disk, and files only the editor has.
	env.Overlay.Record(filepath.Join(env.Root, "a.go"), "package a // NEEDLE in the buffer\n")
	env.Overlay.Record(filepath.Join(env.Root, "new.go"), "package n // NEEDLE unsaved\n")
	env.Overlay.Record(filepath.Join(env.Root, "fresh", "deep", "c.go"), "package c // NEEDLE\n")

	grep := runTool(t, grepTool{}, env, map[string]any{"pattern": "NEEDLE"})
	for _, want := range []string{"a.go:1:package a // NEEDLE in the buffer", "new.go:1:package n // NEEDLE unsaved", "fresh/deep/c.go:1:"} {
		if !strings.Contains(grep.Output, want) {
			t.Errorf("grep misses %q:\n%s", want, grep.Output)
		}
	}
	if strings.Contains(grep.Output, "on disk") {
		t.Errorf("grep searched the disk's text of a file the editor holds:\n%s", grep.Output)
	}
	// A path or include that names only an unsaved file or folder.
	if res := runTool(t, grepTool{}, env, map[string]any{"pattern": "NEEDLE", "path": "new.go"}); !strings.Contains(res.Output, "new.go:1:") {
		t.Errorf("grep of an unsaved file: %s", res.Output)
	}
	if res := runTool(t, grepTool{}, env, map[string]any{"pattern": "NEEDLE", "path": "fresh", "include": "*.go"}); !strings.Contains(res.Output, "fresh/deep/c.go:1:") {
		t.Errorf("grep of an unsaved folder: %s", res.Output)
	}

	glob := runTool(t, globTool{}, env, map[string]any{"pattern": "**/*.go"})
	for _, want := range []string{"a.go", "sub/b.go", "new.go", "fresh/deep/c.go"} {
		if !strings.Contains(glob.Output+"\n", want+"\n") {
			t.Errorf("glob misses %s:\n%s", want, glob.Output)
		}
	}
	if res := runTool(t, globTool{}, env, map[string]any{"pattern": "*.go", "path": "fresh/deep"}); res.IsError || res.Output != "fresh/deep/c.go" {
		t.Errorf("glob in an unsaved folder: %+v", res)
	}

	list := runTool(t, listTool{}, env, map[string]any{})
	for _, want := range []string{"  a.go\n", "  fresh/\n    deep/\n      c.go  (in the editor, not saved to disk)\n", "  new.go  (in the editor, not saved to disk)\n", "  sub/\n"} {
		if !strings.Contains(list.Output+"\n", want) {
			t.Errorf("list misses %q:\n%s", want, list.Output)
		}
	}
	if res := runTool(t, listTool{}, env, map[string]any{"path": "fresh"}); res.IsError || !strings.Contains(res.Output, "c.go") {
		t.Errorf("list of an unsaved folder: %+v", res)
	}

	// Once the disk changes (the user saved, a command wrote the file), the
	// disk's text counts again.
	future := time.Now().Add(time.Hour)
	writeTestFile(t, filepath.Join(env.Root, "a.go"), "package a // saved differently\n")
	os.Chtimes(filepath.Join(env.Root, "a.go"), future, future)
	if res := runTool(t, grepTool{}, env, map[string]any{"pattern": "NEEDLE", "path": "a.go"}); !strings.HasPrefix(res.Output, "No matches") {
		t.Errorf("a stale buffer was searched: %s", res.Output)
	}
	// Without an overlay the unsaved files are nowhere.
	env.Overlay = nil
	if res := runTool(t, globTool{}, env, map[string]any{"pattern": "**/*.go"}); strings.Contains(res.Output, "new.go") {
		t.Errorf("glob without an overlay: %s", res.Output)
	}
}

func TestOverlayBound(t *testing.T) {
	o := NewOverlay()
	dir := t.TempDir()
	big := strings.Repeat("x", overlayMaxBytes/2+1)
	o.Record(filepath.Join(dir, "one"), big)
	o.Record(filepath.Join(dir, "two"), big)
	if _, ok := o.Text(filepath.Join(dir, "one")); ok {
		t.Error("the oldest file was kept past the bound")
	}
	if _, ok := o.Text(filepath.Join(dir, "two")); !ok {
		t.Error("the newest file was dropped")
	}
	if o.bytes > overlayMaxBytes {
		t.Errorf("kept %d bytes", o.bytes)
	}
}

func TestApplyPatchThroughBuffers(t *testing.T) {
	env := newTestEnv(t, map[string]string{"a.txt": "one\ntwo\n", "gone.txt": "bye\n"})
	env.Overlay = NewOverlay()
	a := filepath.Join(env.Root, "a.txt")
	b := &fakeBuffers{buffers: map[string]string{a: "one\nunsaved two\n"}, overlay: env.Overlay}
	env.Buffers = b
	patch := "*** Begin Patch\n*** Update File: a.txt\n@@\n one\n-unsaved two\n+patched two\n*** Add File: n/new.txt\n+new\n*** Delete File: gone.txt\n*** End Patch"
	res := runTool(t, ApplyPatchTool(), env, patch)
	if res.IsError {
		t.Fatalf("apply_patch failed: %s", res.Output)
	}
	if got := b.buffers[a]; got != "one\npatched two\n" {
		t.Errorf("buffer of a.txt: %q", got)
	}
	if got := b.buffers[filepath.Join(env.Root, "n", "new.txt")]; got != "new\n" {
		t.Errorf("buffer of the new file: %q", got)
	}
	if data, _ := os.ReadFile(a); string(data) != "one\ntwo\n" {
		t.Errorf("the patch reached the disk: %q", data)
	}
	if _, err := os.Stat(filepath.Join(env.Root, "n")); err == nil {
		t.Error("the new file reached the disk")
	}
	if _, err := os.Stat(filepath.Join(env.Root, "gone.txt")); err == nil {
		t.Error("the deleted file is still on disk")
	}
	// The new file, only in the editor, is found by glob.
	if res := runTool(t, globTool{}, env, map[string]any{"pattern": "**/new.txt"}); res.Output != "n/new.txt" {
		t.Errorf("glob after the patch: %q", res.Output)
	}
	// deckhand's own folders are out of reach through the editor too.
	keepPrivate(t, env, filepath.Join(env.Root, ".local", "share", "deckhand"))
	writeTestFile(t, filepath.Join(env.Root, ".local", "share", "deckhand", "auth.json"), "{}")
	b.reads = nil
	res = runTool(t, ApplyPatchTool(), env, "*** Begin Patch\n*** Update File: .local/share/deckhand/auth.json\n@@\n-{}\n+{\"x\":1}\n*** End Patch")
	if !res.IsError || len(b.reads) != 0 {
		t.Errorf("a patch of deckhand's home went to the editor: %+v, reads %v", res, b.reads)
	}
}

// BenchmarkGrepOverlay greps Go's source tree with an overlay holding one
// buffer, which every file of the walk is looked up in (compare
// BenchmarkGrep, without one).
func BenchmarkGrepOverlay(b *testing.B) {
	root, err := filepath.EvalSymlinks(goSource(b))
	if err != nil {
		b.Skip(err)
	}
	env := &Env{Root: root, Ledger: NewLedger(), Overlay: NewOverlay()}
	env.Overlay.Record(filepath.Join(env.Root, "fmt", "print.go"), "package fmt\nfunc NewBuffer() {}\n")
	args, _ := json.Marshal(map[string]string{"pattern": benchPattern})
	for b.Loop() {
		res, err := grepTool{maxMatches: 1 << 30}.Run(context.Background(), env, args)
		if err != nil || res.IsError || !strings.Contains(res.Output, "fmt/print.go:2:func NewBuffer") {
			b.Fatalf("%v %.200s", err, res.Output)
		}
	}
}

// read, write and edit over the editor's buffers answer as on disk, with
// the editor's text.
func TestFileToolsThroughBuffers(t *testing.T) {
	env := newTestEnv(t, map[string]string{"a.txt": "on disk\n", "crlf.txt": "one\r\ntwo\r\n"})
	env.Overlay = NewOverlay()
	a := filepath.Join(env.Root, "a.txt")
	b := &fakeBuffers{buffers: map[string]string{a: "line one\nunsaved two\n"}, overlay: env.Overlay}
	env.Buffers = b

	if res := runTool(t, readTool{}, env, map[string]any{"path": "a.txt"}); res.IsError || res.Output != "     1\tline one\n     2\tunsaved two\n" {
		t.Errorf("read: %+v", res)
	}
	if res := runTool(t, readTool{}, env, map[string]any{"path": "a.txt", "offset": 5}); !res.IsError || !strings.Contains(res.Output, "past the end") {
		t.Errorf("read past the end: %+v", res)
	}
	if res := runTool(t, readTool{}, env, map[string]any{"path": "none.txt"}); !res.IsError || !strings.Contains(res.Output, "not found") {
		t.Errorf("read of a missing file: %+v", res)
	}
	res := runTool(t, editTool{}, env, map[string]any{"path": "a.txt", "oldString": "unsaved two", "newString": "edited two"})
	if res.IsError || !strings.HasPrefix(res.Output, "edited a.txt in the editor: replaced 1 occurrence\n\n--- a/a.txt") {
		t.Errorf("edit: %+v", res)
	}
	if b.buffers[a] != "line one\nedited two\n" {
		t.Errorf("buffer after the edit: %q", b.buffers[a])
	}
	if res := runTool(t, editTool{}, env, map[string]any{"path": "a.txt", "oldString": "on disk", "newString": "x"}); !res.IsError {
		t.Errorf("an edit matched the disk's text, not the buffer's: %+v", res)
	}
	// CRLF is kept, as on disk.
	runTool(t, editTool{}, env, map[string]any{"path": "crlf.txt", "oldString": "two", "newString": "2"})
	if got := b.buffers[filepath.Join(env.Root, "crlf.txt")]; got != "one\r\n2\r\n" {
		t.Errorf("CRLF buffer after the edit: %q", got)
	}
	// A new file: written in the editor, found by glob, not on disk.
	if res := runTool(t, writeTool{}, env, map[string]any{"path": "new/n.txt", "content": "fresh\n"}); res.IsError || !strings.Contains(res.Output, "created, in the editor") {
		t.Errorf("write: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(env.Root, "new")); err == nil {
		t.Error("the write reached the disk")
	}
	if res := runTool(t, editTool{}, env, map[string]any{"path": "new/n.txt", "oldString": "fresh", "newString": "fresher"}); res.IsError {
		t.Errorf("edit of a file only the editor holds: %+v", res)
	}
	if res := runTool(t, editTool{}, env, map[string]any{"path": "new/n.txt", "oldString": "", "newString": "again"}); !res.IsError || !strings.Contains(res.Output, "already exists") {
		t.Errorf("edit creating a file the editor holds: %+v", res)
	}
	// deckhand's own folder: refused before the editor is asked.
	keepPrivate(t, env, filepath.Join(env.Root, ".local", "share", "deckhand"))
	b.reads = nil
	for _, tool := range []Tool{readTool{}, editTool{}} {
		res := runTool(t, tool, env, map[string]any{"path": ".local/share/deckhand/auth.json", "oldString": "a", "newString": "b"})
		if !res.IsError || len(b.reads) != 0 {
			t.Errorf("%s of deckhand's login went to the editor: %+v", tool.Name(), res)
		}
	}
	if res := runTool(t, writeTool{}, env, map[string]any{"path": ".local/share/deckhand/auth.json", "content": "{}"}); !res.IsError {
		t.Errorf("write of deckhand's login: %+v", res)
	}
	if _, ok := b.buffers[filepath.Join(env.Root, ".local", "share", "deckhand", "auth.json")]; ok {
		t.Error("deckhand's login was written in the editor")
	}
}

// A proposal (the review's diff) is worked out against the editor's text.
func TestProposeThroughBuffers(t *testing.T) {
	env := newTestEnv(t, map[string]string{"a.txt": "on disk\n"})
	env.Overlay = NewOverlay()
	a := filepath.Join(env.Root, "a.txt")
	env.Buffers = &fakeBuffers{buffers: map[string]string{a: "in the buffer\n"}, overlay: env.Overlay}
	prop, _, ok := Propose(env, "edit", json.RawMessage(`{"path":"a.txt","oldString":"buffer","newString":"editor"}`))
	if !ok || prop.Before != "in the buffer\n" || prop.After != "in the editor\n" || !prop.Existed {
		t.Errorf("edit proposal %+v %v", prop, ok)
	}
	if _, res, ok := Propose(env, "edit", json.RawMessage(`{"path":"a.txt","oldString":"on disk","newString":"x"}`)); ok || !res.IsError {
		t.Errorf("an edit matching only the disk was proposed: %+v", res)
	}
	prop, _, ok = Propose(env, "write", json.RawMessage(`{"path":"b.txt","content":"b\n"}`))
	if !ok || prop.Existed || prop.After != "b\n" {
		t.Errorf("write proposal %+v %v", prop, ok)
	}
}

// keepPrivate makes dir deckhand's own folder for env's calls (the one
// place these tests say how deckhand's home is known to the tools).
func keepPrivate(t *testing.T, env *Env, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	env.Home = newTestHome(t, HomeConfig{Dir: dir})
}
