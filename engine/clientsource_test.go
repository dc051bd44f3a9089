package engine

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestPreviewChange(t *testing.T) {
	e := New(Config{Home: t.TempDir()})
	defer e.Close()
	root, _ := filepath.EvalSymlinks(t.TempDir())
	if err := os.WriteFile(filepath.Join(root, "a.txt"), []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	id, err := e.NewSession(SessionOptions{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, tool, args string
		ok               bool
		want             FileChange
	}{
		{"edit", "edit", `{"path":"a.txt","oldString":"two","newString":"2"}`, true,
			FileChange{Path: filepath.Join(root, "a.txt"), OldText: "one\ntwo\n", NewText: "one\n2\n"}},
		{"write over", "write", `{"path":"a.txt","content":"new\n"}`, true,
			FileChange{Path: filepath.Join(root, "a.txt"), OldText: "one\ntwo\n", NewText: "new\n"}},
		{"write new", "write", `{"path":"sub/b.txt","content":"b\n"}`, true,
			FileChange{Path: filepath.Join(root, "sub/b.txt"), NewText: "b\n", Created: true}},
		{"edit creates", "edit", `{"path":"c.txt","oldString":"","newString":"c"}`, true,
			FileChange{Path: filepath.Join(root, "c.txt"), NewText: "c", Created: true}},
		{"no match", "edit", `{"path":"a.txt","oldString":"three","newString":"3"}`, false, FileChange{}},
		{"outside", "write", `{"path":"../x.txt","content":"x"}`, false, FileChange{}},
		{"read", "read", `{"path":"a.txt"}`, false, FileChange{}},
		{"bad args", "edit", `[1]`, false, FileChange{}},
	}
	for _, c := range cases {
		got, ok := e.PreviewChange(context.Background(), id, c.tool, json.RawMessage(c.args))
		if ok != c.ok || got != c.want {
			t.Errorf("%s: got %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
	if _, ok := e.PreviewChange(context.Background(), "ses_none", "write", json.RawMessage(`{"path":"a.txt","content":"x"}`)); ok {
		t.Error("a preview for an unknown session")
	}
}
