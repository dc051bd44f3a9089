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
	s := e.newSession("ses_preview", root, false, nil)
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
		got, ok := e.previewChange(context.Background(), s, c.tool, json.RawMessage(c.args))
		if ok != c.ok || got != c.want {
			t.Errorf("%s: got %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestNumberLines(t *testing.T) {
	cases := []struct {
		text          string
		offset, limit int
		want          string
	}{
		{"a\nb\n", 0, 0, "     1\ta\n     2\tb\n"},
		{"a\r\nb", 2, 0, "     2\tb\n"},
		{"a\nb\nc\n", 1, 2, "     1\ta\n     2\tb\n(1 more lines; read on with offset 3)\n"},
		{"a\n", 5, 0, "(the file has 1 lines; offset 5 is past its end)"},
	}
	for _, c := range cases {
		if got := numberLines(c.text, c.offset, c.limit); got != c.want {
			t.Errorf("numberLines(%q, %d, %d) = %q, want %q", c.text, c.offset, c.limit, got, c.want)
		}
	}
}
