package patch

import (
	"fmt"
	"strings"
)

// Action is what a patch does to one file.
type Action string

const (
	Add    Action = "add"
	Update Action = "update"
	Delete Action = "delete"
	// Move is an update with "*** Move to:": the file's content, changed by
	// its hunks if it has any, goes to another path.
	Move Action = "move"
)

// Op is one file operation of a patch.
type Op struct {
	Action Action
	Path   string // as written in the patch
	// MovePath is the destination of a Move.
	MovePath string
	// Content is the whole content of an added file.
	Content string
	// Hunks are the changes of an Update or a Move.
	Hunks []Hunk
}

// Hunk is one "@@" block of an update.
type Hunk struct {
	// Anchor is the text after "@@ ": a line of the file before the hunk's
	// lines, looked for first. Empty when the hunk has none.
	Anchor string
	// Old holds the lines the hunk expects (context and removed), New the
	// lines that replace them (context and added), both without their
	// prefix.
	Old, New []string
	// AtEOF: the hunk ended with "*** End of File", its lines end the file.
	AtEOF bool
	// Line is the hunk's first line in the patch (1-based), for messages.
	Line int
	// context maps each line of New to its line in Old when it is a
	// context line (-1 for an added line): a context line matched loosely
	// is written back as the file had it, not as the patch wrote it.
	context []int
}

// Patch is a parsed patch: its file operations in order.
type Patch struct {
	Ops []Op
}

const (
	beginMarker  = "*** Begin Patch"
	endMarker    = "*** End Patch"
	addHeader    = "*** Add File:"
	deleteHeader = "*** Delete File:"
	updateHeader = "*** Update File:"
	moveHeader   = "*** Move to:"
	eofMarker    = "*** End of File"
)

// ParseError is a patch that does not follow the format: Line is 1-based in
// the patch text (0 when the patch as a whole is wrong).
type ParseError struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return "invalid patch: " + e.Msg
	}
	return fmt.Sprintf("invalid patch, line %d: %s", e.Line, e.Msg)
}

// Parse reads a patch. It accepts what the grammar accepts and a little
// more, as the format's own tool does: whitespace around the whole patch and
// around markers, CRLF line ends, a heredoc wrapper (<<'EOF' ... EOF), the
// first hunk of an update without its "@@" line, and an empty line inside a
// hunk read as an empty context line.
func Parse(text string) (*Patch, error) {
	lines := splitPatchLines(text)
	lines = unwrapHeredoc(lines)
	if len(lines) == 0 {
		return nil, &ParseError{Msg: "the patch is empty: it must start with " + beginMarker}
	}
	if strings.TrimSpace(lines[0].text) != beginMarker {
		return nil, &ParseError{Line: lines[0].no, Msg: fmt.Sprintf("the first line must be %q", beginMarker)}
	}
	last := lines[len(lines)-1]
	if len(lines) < 2 || strings.TrimSpace(last.text) != endMarker {
		return nil, &ParseError{Line: last.no, Msg: fmt.Sprintf("the last line must be %q", endMarker)}
	}
	p := &parser{lines: lines[1 : len(lines)-1]}
	var ops []Op
	for !p.done() {
		op, err := p.op()
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	if len(ops) == 0 {
		return nil, &ParseError{Line: last.no, Msg: "the patch names no file: add *** Add File, *** Update File or *** Delete File sections"}
	}
	return &Patch{Ops: ops}, nil
}

type patchLine struct {
	text string
	no   int
}

// splitPatchLines splits text into numbered lines, dropping a final "\r" of
// each and the blank lines around the whole patch.
func splitPatchLines(text string) []patchLine {
	raw := strings.Split(text, "\n")
	lines := make([]patchLine, 0, len(raw))
	for i, l := range raw {
		lines = append(lines, patchLine{text: strings.TrimSuffix(l, "\r"), no: i + 1})
	}
	for len(lines) > 0 && strings.TrimSpace(lines[0].text) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1].text) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// unwrapHeredoc drops a shell heredoc around the patch: a first line such as
// `apply_patch <<'EOF'` or `<<EOF` and the matching last line.
func unwrapHeredoc(lines []patchLine) []patchLine {
	if len(lines) < 3 {
		return lines
	}
	first := strings.TrimSpace(lines[0].text)
	at := strings.Index(first, "<<")
	if at < 0 || strings.HasPrefix(first, "***") {
		return lines
	}
	word := strings.Trim(strings.TrimSpace(first[at+2:]), `'"`)
	if word == "" || strings.TrimSpace(lines[len(lines)-1].text) != word {
		return lines
	}
	return lines[1 : len(lines)-1]
}

type parser struct {
	lines []patchLine
	pos   int
}

func (p *parser) done() bool { return p.pos >= len(p.lines) }

func (p *parser) peek() patchLine { return p.lines[p.pos] }

// op reads one file operation, starting at its header.
func (p *parser) op() (Op, error) {
	head := p.peek()
	text := strings.TrimSpace(head.text)
	p.pos++
	switch {
	case strings.HasPrefix(text, addHeader):
		path, err := headerPath(head, text, addHeader)
		if err != nil {
			return Op{}, err
		}
		var b strings.Builder
		for !p.done() && !isHeader(p.peek().text) {
			l := p.peek()
			if !strings.HasPrefix(l.text, "+") {
				return Op{}, &ParseError{Line: l.no, Msg: fmt.Sprintf("every line of an added file must start with '+', not %q", clip(l.text))}
			}
			b.WriteString(l.text[1:])
			b.WriteByte('\n')
			p.pos++
		}
		return Op{Action: Add, Path: path, Content: b.String()}, nil
	case strings.HasPrefix(text, deleteHeader):
		path, err := headerPath(head, text, deleteHeader)
		if err != nil {
			return Op{}, err
		}
		return Op{Action: Delete, Path: path}, nil
	case strings.HasPrefix(text, updateHeader):
		path, err := headerPath(head, text, updateHeader)
		if err != nil {
			return Op{}, err
		}
		op := Op{Action: Update, Path: path}
		if !p.done() && strings.HasPrefix(strings.TrimSpace(p.peek().text), moveHeader) {
			l := p.peek()
			p.pos++
			dest, err := headerPath(l, strings.TrimSpace(l.text), moveHeader)
			if err != nil {
				return Op{}, err
			}
			op.Action, op.MovePath = Move, dest
		}
		hunks, err := p.hunks()
		if err != nil {
			return Op{}, err
		}
		if len(hunks) == 0 && op.Action != Move {
			return Op{}, &ParseError{Line: head.no, Msg: fmt.Sprintf("the update of %q has no hunk: give @@ lines with the changes", path)}
		}
		op.Hunks = hunks
		return op, nil
	}
	return Op{}, &ParseError{Line: head.no, Msg: fmt.Sprintf("expected a file header (%q, %q or %q), got %q",
		addHeader, updateHeader, deleteHeader, clip(head.text))}
}

// hunks reads the hunks of an update, up to the next file header.
func (p *parser) hunks() ([]Hunk, error) {
	var hunks []Hunk
	for !p.done() && !isHeader(p.peek().text) {
		l := p.peek()
		h := Hunk{Line: l.no}
		trimmed := strings.TrimSpace(l.text)
		switch {
		case trimmed == "@@":
			p.pos++
		case strings.HasPrefix(l.text, "@@ "):
			h.Anchor = l.text[3:]
			p.pos++
		case len(hunks) > 0:
			return nil, &ParseError{Line: l.no, Msg: fmt.Sprintf("a hunk must start with an @@ line, got %q", clip(l.text))}
		}
		n := 0
	lines:
		for !p.done() {
			l := p.peek()
			switch {
			case strings.TrimSpace(l.text) == eofMarker:
				h.AtEOF = true
				p.pos++
				break lines
			case isHeader(l.text), strings.HasPrefix(l.text, "@@"):
				break lines
			case l.text == "":
				h.context = append(h.context, len(h.Old))
				h.Old, h.New = append(h.Old, ""), append(h.New, "")
			case l.text[0] == ' ':
				h.context = append(h.context, len(h.Old))
				h.Old, h.New = append(h.Old, l.text[1:]), append(h.New, l.text[1:])
			case l.text[0] == '-':
				h.Old = append(h.Old, l.text[1:])
			case l.text[0] == '+':
				h.context = append(h.context, -1)
				h.New = append(h.New, l.text[1:])
			default:
				return nil, &ParseError{Line: l.no, Msg: fmt.Sprintf("a hunk line must start with ' ' (context), '-' (removed) or '+' (added), got %q", clip(l.text))}
			}
			n++
			p.pos++
		}
		if n == 0 {
			return nil, &ParseError{Line: h.Line, Msg: "the hunk has no lines"}
		}
		hunks = append(hunks, h)
	}
	return hunks, nil
}

// isHeader reports whether a line starts a file operation or ends the patch.
func isHeader(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, addHeader) || strings.HasPrefix(t, deleteHeader) ||
		strings.HasPrefix(t, updateHeader) || t == endMarker
}

func headerPath(l patchLine, text, header string) (string, error) {
	path := strings.TrimSpace(strings.TrimPrefix(text, header))
	if path == "" {
		return "", &ParseError{Line: l.no, Msg: fmt.Sprintf("%q needs a path", header)}
	}
	return path, nil
}

// clip shortens a line quoted in a message.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
