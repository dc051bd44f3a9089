package tools

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	readDefaultLimit = 2000      // lines shown when no limit is given
	readMaxOutput    = 256 << 10 // bytes of output, whatever the limit
	readMaxLineChars = 2000      // characters of one line shown
)

type readParams struct {
	Path   string `json:"path" desc:"The file to read: relative to the workspace root, or absolute inside it."`
	Offset int    `json:"offset,omitempty" desc:"1-based line number to start reading at. Default 1."`
	Limit  int    `json:"limit,omitempty" desc:"How many lines to read. Default 2000."`
}

type readTool struct{}

func (readTool) Name() string { return "read" }

func (readTool) ReadOnly() bool { return true }

func (readTool) Schema() map[string]any { return schemaOf(readParams{}) }

func (readTool) Description() string {
	return `Read a text file from the workspace. Lines come back numbered like "cat -n" ("     1<TAB>text"); the numbers are not part of the file, so leave them out when you copy text into edit.
- Reads up to 2000 lines (or 256 KiB) from the start by default. For a longer file the output ends with a note saying how to go on: call read again with offset (the 1-based line to start at) and, if you like, limit (how many lines).
- Lines longer than 2000 characters are cut, with a marker.
- Binary files are refused; use list or glob for directories and file names, and grep to find where something is before reading a large file.
- edit does not need a prior read, but it refuses a file that changed on disk since you read it: read it again then.
- Reading several files that you know you need at once is fine and fast.`
}

func (t readTool) Run(ctx context.Context, env *Env, args json.RawMessage) (Result, error) {
	var p readParams
	if res, ok := decodeArgs(args, &p); !ok {
		return res, nil
	}
	switch {
	case strings.TrimSpace(p.Path) == "":
		return fail("invalid arguments: path must not be empty"), nil
	case p.Offset < 0:
		return fail("invalid arguments: offset must be 1 or more (it is a 1-based line number)"), nil
	case p.Limit < 0:
		return fail("invalid arguments: limit must be 1 or more"), nil
	}
	real, res, ok := env.resolve(p.Path)
	if !ok {
		return res, nil
	}
	if env.Buffers != nil {
		return readBuffer(ctx, env, real, p)
	}
	f, info, err := openRegular(env.Root, real)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail("file %q not found", p.Path), nil
	case errors.Is(err, errNotRegular) && info.IsDir():
		return fail("%q is a directory, not a file: use list to see what it holds", p.Path), nil
	case errors.Is(err, errNotRegular):
		return fail("%q is not a regular file (%s): not read", p.Path, kindOf(info.Mode())), nil
	case err != nil:
		return fail("cannot read %q: %v", p.Path, unwrapPathError(err)), nil
	}
	defer f.Close()
	first := max(p.Offset, 1)
	limit := p.Limit
	if limit == 0 {
		limit = readDefaultLimit
	}
	page, err := readPage(ctx, f, first, limit)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		return fail("cannot read %q: %v", p.Path, unwrapPathError(err)), nil
	}
	if page.binary {
		return fail("binary file, not shown: %q does not look like text", p.Path), nil
	}
	env.Ledger.record(real, stampOf(info, page.sum))
	if page.total > 0 && first > page.total {
		return fail("offset %d is past the end of %q: it has %d lines", first, p.Path, page.total), nil
	}
	return Result{Output: page.render(first)}, nil
}

// page is the part of a file that read shows, and what it learned about the
// whole file on the way.
type page struct {
	body   strings.Builder
	total  int  // lines in the file
	last   int  // last line shown, 0 for none
	capped bool // stopped by readMaxOutput, not by limit
	binary bool
	sum    [sha256.Size]byte
}

// readPage formats lines first..first+limit-1 of r, and reads on to the end
// to count the lines and hash the content.
func readPage(ctx context.Context, r io.Reader, first, limit int) (*page, error) {
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(ctxReader{ctx, r}, h), 64<<10)
	pg := &page{}
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if looksBinary(head) {
		pg.binary = true
		return pg, nil
	}
	last := math.MaxInt // saturated: a huge limit must not wrap around
	if limit <= math.MaxInt-first {
		last = first + limit - 1
	}
	var buf []byte
	for {
		line, size, err := readLine(br, buf[:0], readMaxLineChars*utf8.UTFMax)
		buf = line
		if size > 0 {
			pg.total++
			if pg.total >= first && pg.total <= last && !pg.capped {
				pg.addLine(pg.total, line, size)
			}
			if pg.total%4096 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	copy(pg.sum[:], h.Sum(nil))
	return pg, nil
}

// addLine formats one line, unless it would take the output past its cap.
func (pg *page) addLine(n int, line []byte, size int) {
	kept := size == len(line)
	line = trimEOL(line)
	text, cut := cutRunes(line, readMaxLineChars)
	if !kept {
		// The kept part may end inside a rune.
		for len(text) > 0 {
			r, n := utf8.DecodeLastRune(text)
			if r != utf8.RuneError || n != 1 {
				break
			}
			text = text[:len(text)-1]
		}
		cut = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%6d\t", n)
	b.Write(text)
	if cut {
		fmt.Fprintf(&b, " ... [line cut: it has %d bytes]", size)
	}
	b.WriteByte('\n')
	if pg.body.Len()+b.Len() > readMaxOutput {
		pg.capped = true
		return
	}
	pg.body.WriteString(b.String())
	pg.last = n
}

func (pg *page) render(first int) string {
	if pg.total == 0 {
		return "(empty file)"
	}
	out := pg.body.String()
	if pg.last < pg.total {
		why := ""
		if pg.capped {
			why = "output is capped at 256 KiB; "
		}
		out += fmt.Sprintf("\n(file has %d lines; %sshowing %d-%d. Call read with offset=%s to read on.)",
			pg.total, why, first, pg.last, strconv.Itoa(pg.last+1))
	}
	return out
}

// readLine reads one line from br into buf, keeping at most keep bytes of it,
// and returns the kept bytes and the full size of the line (0 at the end).
func readLine(br *bufio.Reader, buf []byte, keep int) ([]byte, int, error) {
	size := 0
	for {
		chunk, err := br.ReadSlice('\n')
		size += len(chunk)
		if room := keep - len(buf); room > 0 {
			buf = append(buf, chunk[:min(room, len(chunk))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return buf, size, err
	}
}

// trimEOL drops a line's "\n" or "\r\n".
func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// cutRunes keeps the first n runes of b.
func cutRunes(b []byte, n int) ([]byte, bool) {
	if len(b) <= n {
		return b, false
	}
	for i := range string(b) {
		if n == 0 {
			return b[:i], true
		}
		n--
	}
	return b, false
}

// ctxReader stops reading once ctx ends: the line count above checks only
// every 4096 lines, and one line may be gigabytes long (16 GiB of reads
// went on for seconds after a cancel).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
