package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/tools"
)

// testHome is a tools.Home for a test, closed when the test ends.
func testHome(t *testing.T, cfg tools.HomeConfig) *tools.Home {
	t.Helper()
	h := tools.NewHome(cfg)
	t.Cleanup(h.Close)
	return h
}

func attachEnv(t *testing.T, files map[string]string) *tools.Env {
	t.Helper()
	env, err := testHome(t, tools.HomeConfig{}).NewEnv(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(env.Root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return env
}

func TestAttachedMessage(t *testing.T) {
	env := attachEnv(t, map[string]string{"src/a.go": "one\ntwo\nthree\nfour\n"})
	msg, dirs, err := attachedMessage(env, "explain", []Attachment{
		{Type: AttachFile, Path: "src/a.go", StartLine: 2, EndLine: 3},
		{Type: AttachFile, Path: filepath.Join(env.Root, "src/a.go"), StartLine: 4, EndLine: 99},
		{Type: AttachSelection, Path: "src/a.go", StartLine: 1, EndLine: 1, Text: "unsaved one"},
		{Type: AttachText, Title: "log", Text: "FAIL x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "explain\n\n<attachments>\n" +
		"<file path=\"src/a.go\" lines=\"2-3\">\ntwo\nthree\n</file>\n" +
		"<file path=\"src/a.go\" lines=\"4-4\">\nfour\n</file>\n" +
		"<selection path=\"src/a.go\" lines=\"1-1\">\nunsaved one\n</selection>\n" +
		"<text title=\"log\">\nFAIL x\n</text>\n</attachments>"
	if msg != want {
		t.Errorf("got\n%s\nwant\n%s", msg, want)
	}
	if strings.Join(dirs, ",") != "src,src,src" {
		t.Errorf("dirs %v", dirs)
	}
}

func TestAttachmentRefusals(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("s3cret\n"), 0o644)
	env := attachEnv(t, map[string]string{"a.txt": "a\n", "bin": "\x00\x01", "home/auth.json": `{"s3cret":1}`, "docs/readme.txt": "r"})
	os.Symlink(outside, filepath.Join(env.Root, "link"))
	env.Home = testHome(t, tools.HomeConfig{Dir: filepath.Join(env.Root, "home")}) // deckhand's home inside the workspace
	tests := []struct {
		name string
		att  Attachment
		want string
	}{
		{"outside by ..", Attachment{Type: AttachFile, Path: "../" + filepath.Base(outside) + "/secret"}, "outside the workspace"},
		{"outside by link", Attachment{Type: AttachFile, Path: "link/secret"}, "outside the workspace"},
		{"selection outside", Attachment{Type: AttachSelection, Path: filepath.Join(outside, "secret"), StartLine: 1, EndLine: 1, Text: "x"}, "outside the workspace"},
		{"missing", Attachment{Type: AttachFile, Path: "nope.txt"}, "does not exist"},
		{"binary", Attachment{Type: AttachFile, Path: "bin"}, "not a text file"},
		{"bad range", Attachment{Type: AttachFile, Path: "a.txt", StartLine: 3, EndLine: 2}, "startLine"},
		{"range past the end", Attachment{Type: AttachFile, Path: "a.txt", StartLine: 5, EndLine: 9}, "has 1 lines"},
		{"unknown type", Attachment{Type: "video", Path: "a.txt"}, "not an attachment type"},
		{"blank text", Attachment{Type: AttachText, Text: " "}, "non-blank"},
		{"deckhand's home", Attachment{Type: AttachFile, Path: "home/auth.json"}, "deckhand's own data folder"},
		{"selection in deckhand's home", Attachment{Type: AttachSelection, Path: "home/auth.json", StartLine: 1, EndLine: 1, Text: "x"}, "deckhand's own data folder"},
		{"selection of a directory", Attachment{Type: AttachSelection, Path: "docs", StartLine: 1, EndLine: 1, Text: "x"}, "directory"},
		{"selection of the root", Attachment{Type: AttachSelection, Path: ".", StartLine: 1, EndLine: 1, Text: "x"}, "directory"},
		{"selection outside by link", Attachment{Type: AttachSelection, Path: "link/secret", StartLine: 1, EndLine: 1, Text: "x"}, "outside the workspace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := attachedMessage(env, "m", []Attachment{{Type: AttachText, Text: "fine"}, tt.att})
			if !errors.Is(err, ErrInvalidParams) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "attachments[1]") {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error leaks the outside file")
			}
		})
	}
}

// Each attachment is capped, and so are all of them together, with a
// marker where the text is cut.
func TestAttachmentCaps(t *testing.T) {
	line := strings.Repeat("x", 99) + "\n"
	big := strings.Repeat(line, 1000) // 100,000 bytes
	env := attachEnv(t, map[string]string{"big.txt": big, "small.txt": "tail of the message\n"})
	atts := []Attachment{{Type: AttachFile, Path: "big.txt"}}
	msg, _, err := attachedMessage(env, "m", atts)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg) > attachMaxOne+1024 || !strings.Contains(msg, "cut here: ") || !strings.Contains(msg, "more bytes are not included") {
		t.Errorf("one big file: %d bytes, marker present %v", len(msg), strings.Contains(msg, "cut here"))
	}
	// Cut on a line break.
	if i := strings.Index(msg, "[… cut here"); i < 1 || msg[i-1] != '\n' || msg[i-2] != 'x' {
		t.Errorf("cut not on a line break")
	}
	for range 5 {
		atts = append(atts, Attachment{Type: AttachText, Title: "t", Text: big})
	}
	atts = append(atts, Attachment{Type: AttachFile, Path: "small.txt"})
	msg, _, err = attachedMessage(env, "m", atts)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg) > attachMaxAll+8*1024 {
		t.Errorf("all attachments: %d bytes, cap %d", len(msg), attachMaxAll)
	}
	if !strings.Contains(msg, `<file path="small.txt">`) {
		t.Errorf("an attachment past the cap lost its header")
	}
}
