package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/deckhand-dev/deckhand/tools"
)

// Attachment kinds.
const (
	AttachFile      = "file"
	AttachSelection = "selection"
	AttachText      = "text"
	AttachImage     = "image" // images.go
)

// Attachment is context the editor sends with a message: a file the server
// reads (Path, optionally lines StartLine..EndLine), the editor's selection
// (Path, lines, Text: possibly unsaved) or free text (Title, Text).
type Attachment struct {
	Type               string
	Path               string
	StartLine, EndLine int // 1-based, inclusive; 0 for a whole file
	Text               string
	Title              string
	MimeType, Data     string // a pasted image (base64)
}

// Caps on what attachments add to a message. Beyond them the text is cut,
// with a marker that says so.
const (
	attachMaxOne   = 64 << 10  // one attachment
	attachMaxAll   = 256 << 10 // all the attachments of a message
	attachMaxFile  = 16 << 20  // a file read for an attachment
	attachMaxCount = 64
)

// attached is what a chat's attachments come to, worked out once before the
// turn asks anything of the model: the message as the model gets it, the
// directories (relative to the root) of the files attached, whose
// instructions join the turn, and the images as data URLs.
type attached struct {
	message string
	dirs    []string
	images  []string
}

// attach resolves a chat's attachments, each file once. Any attachment that
// cannot be read makes the whole request invalid: nothing is sent.
func attach(env *tools.Env, message string, atts []Attachment) (attached, error) {
	msg, dirs, err := attachedMessage(env, message, atts)
	if err != nil {
		return attached{}, err
	}
	images, err := attachedImages(env, atts)
	if err != nil {
		return attached{}, err
	}
	return attached{message: msg, dirs: dirs, images: images}, nil
}

// attachedMessage is the user's message with its attachments, as the model
// gets it, and the directories (relative to the root) of the files
// attached. Any attachment that cannot be read makes the whole request
// invalid: nothing is sent.
func attachedMessage(env *tools.Env, message string, atts []Attachment) (string, []string, error) {
	if len(textAttachments(atts)) == 0 { // images go apart (images.go)
		return message, nil, nil
	}
	if len(atts) > attachMaxCount {
		return "", nil, fmt.Errorf("%w: %d attachments; at most %d can go with one message", ErrInvalidParams, len(atts), attachMaxCount)
	}
	var b strings.Builder
	b.WriteString(message)
	b.WriteString("\n\n<attachments>\n")
	left := attachMaxAll
	var dirs []string
	for i, a := range atts {
		if a.Type == AttachImage {
			continue
		}
		head, body, dir, err := renderAttachment(env, a)
		if err != nil {
			return "", nil, fmt.Errorf("%w: attachments[%d]: %v", ErrInvalidParams, i, err)
		}
		if dir != "" {
			dirs = append(dirs, dir)
		}
		body, _ = capText(body, min(attachMaxOne, max(left, 0)))
		left -= len(body)
		b.WriteString(head)
		b.WriteByte('\n')
		b.WriteString(body)
		if !strings.HasSuffix(body, "\n") {
			b.WriteByte('\n')
		}
		b.WriteString("</" + a.Type + ">\n")
	}
	b.WriteString("</attachments>")
	return b.String(), dirs, nil
}

// renderAttachment returns the opening tag and the text of one attachment,
// and the directory of its file.
func renderAttachment(env *tools.Env, a Attachment) (head, body, dir string, err error) {
	switch a.Type {
	case AttachText:
		if strings.TrimSpace(a.Text) == "" {
			return "", "", "", errors.New("a text attachment needs a non-blank text")
		}
		return fmt.Sprintf("<text title=%q>", a.Title), a.Text, "", nil
	case AttachSelection:
		if strings.TrimSpace(a.Path) == "" || a.StartLine < 1 || a.EndLine < a.StartLine {
			return "", "", "", errors.New("a selection needs a path and a range with 1 <= startLine <= endLine")
		}
		rel, dir, err := confined(env, a.Path)
		if err != nil {
			return "", "", "", err
		}
		return fmt.Sprintf("<selection path=%q lines=\"%d-%d\">", rel, a.StartLine, a.EndLine), a.Text, dir, nil
	case AttachFile:
		if strings.TrimSpace(a.Path) == "" {
			return "", "", "", errors.New("a file attachment needs a path")
		}
		if a.StartLine != 0 || a.EndLine != 0 {
			if a.StartLine < 1 || a.EndLine < a.StartLine {
				return "", "", "", errors.New("the range needs 1 <= startLine <= endLine")
			}
		}
		st, err := tools.ReadState(env, a.Path, attachMaxFile)
		switch {
		case errors.Is(err, tools.ErrOutsideWorkspace):
			return "", "", "", fmt.Errorf("%q is outside the workspace %s", a.Path, env.Root)
		case errors.Is(err, tools.ErrTooLarge):
			return "", "", "", fmt.Errorf("%q is larger than %d MiB: attach the part that matters as a selection", a.Path, attachMaxFile>>20)
		case err != nil:
			return "", "", "", fmt.Errorf("%q cannot be read: %v", a.Path, err)
		case !st.Exists:
			return "", "", "", fmt.Errorf("%q does not exist in the workspace", a.Path)
		case !utf8.Valid(st.Content) || strings.IndexByte(string(st.Content), 0) >= 0:
			return "", "", "", fmt.Errorf("%q is not a text file", a.Path)
		}
		dir = filepath.Dir(filepath.FromSlash(st.Path)) // the file as resolved, inside the root
		text := string(st.Content)
		if a.StartLine == 0 {
			return fmt.Sprintf("<file path=%q>", st.Path), text, dir, nil
		}
		lines := strings.SplitAfter(text, "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		if a.StartLine > len(lines) {
			return "", "", "", fmt.Errorf("%q has %d lines: the range starts at line %d", a.Path, len(lines), a.StartLine)
		}
		end := min(a.EndLine, len(lines))
		return fmt.Sprintf("<file path=%q lines=\"%d-%d\">", st.Path, a.StartLine, end), strings.Join(lines[a.StartLine-1:end], ""), dir, nil
	}
	return "", "", "", fmt.Errorf("type %q is not an attachment type: use file, selection or text", a.Type)
}

// confined checks that path leads inside the workspace, to a file outside
// deckhand's home, resolving it once, and returns it relative to the root
// with its directory.
func confined(env *tools.Env, path string) (rel, dir string, err error) {
	real, err := tools.Resolve(env.Root, path)
	switch {
	case errors.Is(err, tools.ErrOutsideWorkspace):
		return "", "", fmt.Errorf("%q is outside the workspace %s", path, env.Root)
	case err != nil:
		return "", "", fmt.Errorf("%q cannot be used: %v", path, err)
	}
	if msg := env.Home.Forbidden(real, path); msg != "" {
		return "", "", errors.New(msg)
	}
	r, err := filepath.Rel(env.Root, real)
	if err != nil || !filepath.IsLocal(r) {
		return "", "", fmt.Errorf("%q cannot be used: it is not a file in the workspace", path)
	}
	if info, err := os.Stat(real); err == nil && info.IsDir() {
		return "", "", fmt.Errorf("%q cannot be used: it is a directory", path)
	}
	return filepath.ToSlash(r), filepath.Dir(r), nil
}

// capText cuts s to at most n bytes, on a line break when one is near, with
// a marker saying how much was left out; cut reports whether it did.
func capText(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	head := cut(s, n)
	if i := strings.LastIndexByte(head, '\n'); i >= len(head)/2 {
		head = head[:i+1]
	}
	if head != "" && !strings.HasSuffix(head, "\n") {
		head += "\n"
	}
	return head + fmt.Sprintf("[… cut here: %d more bytes are not included (attachments are capped at %d KiB each, %d KiB in all)]\n",
		len(s)-len(head), attachMaxOne>>10, attachMaxAll>>10), true
}

// workspace is the tools' view of the session's workspace, with a ledger of
// its own (attachments are not reads of the model's).
func (s *Session) workspace() *tools.Env {
	return &tools.Env{Root: s.root, Ledger: tools.NewLedger(), Home: s.home}
}
