package tools

import (
	"bytes"
	"regexp"
	"regexp/syntax"
)

// lineMatcher finds the lines of a file that a regexp matches, the way grep
// does: the pattern is applied to each line on its own (without its "\n" or
// "\r\n"), so "^" and "$" mean the start and end of a line.
//
// Speed comes from not calling the regexp on every line. When every match
// must contain one of a few literal strings (see needles.go), bytes.Index
// finds the candidate lines and only those are checked. Otherwise, when the
// pattern allows, one multi-line search over the whole file finds the next
// candidate line; failing that, every line is checked.
type lineMatcher struct {
	line    *regexp.Regexp // the pattern, applied to one line
	needles []needle       // every match contains one of them; nil if unknown
	pure    bool           // the pattern is exactly its one needle: a hit is a match
	// whole is "(?m)" plus the pattern, for finding candidates in the whole
	// file; nil when the pattern holds \A or \z, which mean something else
	// there. wholeNeedsLF: the pattern holds "$", which (?m) does not match
	// before a "\r", so whole serves only files without one.
	whole        *regexp.Regexp
	wholeNeedsLF bool
}

func newLineMatcher(pattern string) (*lineMatcher, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	m := &lineMatcher{line: re}
	parsed, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	if needles, ok := requiredNeedles(parsed.Simplify()); ok {
		m.needles = needles
		prefix, complete := re.LiteralPrefix()
		m.pure = complete && len(needles) == 1 && !needles[0].fold && string(needles[0].text) == prefix
		return m, nil
	}
	multi, err := syntax.Parse("(?m)"+pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	if !hasOp(multi, syntax.OpBeginText, syntax.OpEndText) {
		if whole, err := regexp.Compile("(?m)" + pattern); err == nil {
			m.whole = whole
			m.wholeNeedsLF = hasOp(multi, syntax.OpEndLine)
		}
	}
	return m, nil
}

// each calls fn with the start and end (before "\n") of every matching line
// of data, in order, until fn returns false. scratch is a buffer the caller
// keeps between calls, for a lower-cased copy of data when a needle needs
// one.
func (m *lineMatcher) each(data []byte, scratch *[]byte, fn func(start, end int) bool) {
	switch {
	case m.needles != nil:
		f := newFinder(m.needles, data, scratch)
		m.eachCandidate(data, fn, f.next, m.pure)
	case m.whole != nil && (!m.wholeNeedsLF || bytes.IndexByte(data, '\r') < 0):
		m.eachCandidate(data, fn, func(pos int) int {
			loc := m.whole.FindIndex(data[pos:])
			if loc == nil {
				return -1
			}
			return pos + loc[0]
		}, false)
	default:
		for start := 0; start < len(data); {
			end := lineEnd(data, start)
			if m.line.Match(trimCR(data[start:end])) && !fn(start, end) {
				return
			}
			start = end + 1
		}
	}
}

// eachCandidate checks the lines holding the positions next finds (next
// returns the first candidate at or after pos, or -1). sure means a
// candidate is a match.
func (m *lineMatcher) eachCandidate(data []byte, fn func(start, end int) bool, next func(pos int) int, sure bool) {
	for pos := 0; pos < len(data); {
		i := next(pos)
		if i < 0 {
			return
		}
		start := bytes.LastIndexByte(data[:i], '\n') + 1
		if start == len(data) {
			return // an empty match after the final "\n" is no line
		}
		end := lineEnd(data, i)
		if (sure || m.line.Match(trimCR(data[start:end]))) && !fn(start, end) {
			return
		}
		pos = end + 1
	}
}

func lineEnd(data []byte, from int) int {
	if j := bytes.IndexByte(data[from:], '\n'); j >= 0 {
		return from + j
	}
	return len(data)
}

func trimCR(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1]
	}
	return line
}

// hasOp reports whether re or any part of it is one of ops.
func hasOp(re *syntax.Regexp, ops ...syntax.Op) bool {
	for _, op := range ops {
		if re.Op == op {
			return true
		}
	}
	for _, sub := range re.Sub {
		if hasOp(sub, ops...) {
			return true
		}
	}
	return false
}
