package tools

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mkfifo makes a FIFO at path, and its parent directories.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// runGuarded runs a tool call that must not block. On a hang it frees the
// reader from the FIFOs, again and again until the call returns, and fails
// the test; the timeout is a hang guard, not a timing claim.
func runGuarded(t *testing.T, tool Tool, env *Env, args map[string]any, fifos ...string) Result {
	t.Helper()
	type answer struct {
		res Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := runToolErr(t, context.Background(), tool, env, args)
		done <- answer{res, err}
	}()
	select {
	case a := <-done:
		if a.err != nil {
			t.Fatalf("%s: unexpected error: %v", tool.Name(), a.err)
		}
		return a.res
	case <-time.After(20 * time.Second):
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, fifo := range fifos {
			// Opening for writing lets a reader blocked in open go on,
			// and the close gives it an end of file.
			if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				_ = f.Close()
			}
		}
		select {
		case <-done:
			t.Fatalf("%s %v blocked on a FIFO", tool.Name(), args)
			return Result{}
		case <-tick.C:
		}
	}
}

// No tool opens a FIFO: it would wait for a writer forever, deaf to cancel.
func TestToolsDoNotBlockOnFIFOs(t *testing.T) {
	env := newTestEnv(t, map[string]string{"sub/a.txt": "needle\n"})
	fifos := []string{
		filepath.Join(env.Root, "pipe"),
		filepath.Join(env.Root, "sub/pipe.txt"),
		filepath.Join(env.Root, ".git/info/exclude"),
		filepath.Join(env.Root, ".gitignore"),
	}
	for _, f := range fifos {
		mkfifo(t, f)
	}
	symlink(t, "pipe", filepath.Join(env.Root, "to-pipe"))
	tests := []struct {
		name    string
		tool    Tool
		args    map[string]any
		isError bool
		want    []string
		not     []string
	}{
		{"read", readTool{}, map[string]any{"path": "pipe"}, true,
			[]string{`"pipe" is not a regular file (a FIFO): not read`}, nil},
		{"read through a link", readTool{}, map[string]any{"path": "to-pipe"}, true,
			[]string{"not a regular file (a FIFO)"}, nil},
		{"grep one FIFO", grepTool{}, map[string]any{"pattern": "x", "path": "pipe"}, true,
			[]string{`"pipe" is not a regular file (a FIFO): not searched`}, nil},
		{"grep a tree holding FIFOs", grepTool{}, map[string]any{"pattern": "needle"}, false,
			[]string{"sub/a.txt:1:needle"}, nil},
		{"grep below a FIFO .gitignore", grepTool{}, map[string]any{"pattern": "needle", "path": "sub"}, false,
			[]string{"sub/a.txt:1:needle"}, nil},
		{"glob skips FIFOs", globTool{}, map[string]any{"pattern": "**/*"}, false,
			[]string{"sub/a.txt"}, []string{"pipe"}},
		{"list skips FIFOs", listTool{}, map[string]any{}, false,
			[]string{"a.txt", "to-pipe -> pipe"}, []string{"\n  pipe", "pipe.txt", ".gitignore"}},
		{"edit", editTool{}, map[string]any{"path": "pipe", "oldString": "a", "newString": "b"}, true,
			[]string{"not a regular file (a FIFO): not edited"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runGuarded(t, tt.tool, env, tt.args, fifos...)
			check(t, res, tt.isError, tt.want, tt.not...)
		})
	}
}

// A device is never read: one like /dev/zero has no end, and reading it
// would exhaust memory. The test uses a copy of /dev/null, which refusal
// treats the same, so that it fails without harm if the refusal is gone.
func TestToolsRefuseDevices(t *testing.T) {
	env := newTestEnv(t, map[string]string{"a.txt": "x\n"})
	dev := filepath.Join(env.Root, "dev")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skipf("mknod (needs privileges): %v", err)
	}
	for _, tc := range []struct {
		tool    Tool
		args    map[string]any
		isError bool
		want    string
		not     []string
	}{
		{readTool{}, map[string]any{"path": "dev"}, true, `"dev" is not a regular file (a character device): not read`, nil},
		{grepTool{}, map[string]any{"pattern": "x", "path": "dev"}, true, `"dev" is not a regular file (a character device): not searched`, nil},
		{grepTool{}, map[string]any{"pattern": "x", "include": "dev"}, false, "No matches", []string{"dev:"}},
		{globTool{}, map[string]any{"pattern": "*"}, false, "a.txt", []string{"dev"}},
		{listTool{}, map[string]any{}, false, "a.txt", []string{"dev"}},
	} {
		res := runGuarded(t, tc.tool, env, tc.args)
		check(t, res, tc.isError, []string{tc.want}, tc.not...)
	}
}

// endless is a reader that never ends, like a character device.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// readCapped never reads more than its limit, whatever the size it is told.
func TestReadCapped(t *testing.T) {
	tests := []struct {
		name    string
		r       io.Reader
		size    int
		limit   int
		want    string
		wantErr error
	}{
		{"whole file", strings.NewReader("hello"), 5, 10, "hello", nil},
		{"exactly the limit", strings.NewReader("hello"), 5, 5, "hello", nil},
		{"stops at the size it was told", strings.NewReader("hello, world"), 5, 100, "hello", nil},
		{"size 0 reads to the end", strings.NewReader("more than it says"), 0, 100, "more than it says", nil},
		{"size over the limit", strings.NewReader("hello"), 5, 4, "", errTooLarge},
		{"size 0 but over the limit", strings.NewReader("hello"), 0, 4, "", errTooLarge},
		{"endless with size 0", endless{}, 0, 1 << 20, "", errTooLarge},
		{"empty", strings.NewReader(""), 0, 10, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf []byte
			got, err := readCapped(tt.r, tt.size, tt.limit, &buf)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !bytes.Equal(got, []byte(tt.want)) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if len(got) > tt.limit {
				t.Errorf("read %d bytes, over the limit %d", len(got), tt.limit)
			}
		})
	}
}

// write refuses a FIFO at its path instead of replacing it with a file: a
// program uses it.
func TestWriteRefusesAFIFO(t *testing.T) {
	env := newTestEnv(t, nil)
	fifo := filepath.Join(env.Root, "pipe")
	mkfifo(t, fifo)
	res := runTool(t, writeTool{}, env, map[string]any{"path": "pipe", "content": "x"})
	check(t, res, true, []string{"not a regular file", "not replaced"})
	if info, err := os.Lstat(fifo); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", info, err)
	}
}
