package patch

import (
	"strings"
	"unicode"
)

// A hunk's lines are looked for in the file with rules that relax one step
// at a time, and the first rule that finds them wins: the lines as written,
// then without trailing whitespace, then without whitespace at either end,
// and last with typographic punctuation read as ASCII. Models copy lines
// with their indentation or quotes slightly off; the stricter rules come
// first so that a looser one never picks a wrong place the exact text names.

// lineRules are the comparisons, strictest first.
var lineRules = []func(a, b string) bool{
	func(a, b string) bool { return a == b },
	func(a, b string) bool { return strings.TrimRight(a, " \t\r\f\v") == strings.TrimRight(b, " \t\r\f\v") },
	func(a, b string) bool { return strings.TrimSpace(a) == strings.TrimSpace(b) },
	func(a, b string) bool { return normalise(a) == normalise(b) },
}

// seek returns the index in lines where want starts, looking from start on,
// or -1. With atEOF the match must end the file, and is tried there first.
// An empty want matches at start (or at the end with atEOF).
func seek(lines, want []string, start int, atEOF bool) int {
	if len(want) == 0 {
		if atEOF {
			return len(lines)
		}
		return start
	}
	if len(want) > len(lines) {
		return -1
	}
	last := len(lines) - len(want)
	for _, same := range lineRules {
		if atEOF {
			if last >= start && matchAt(lines, want, last, same) {
				return last
			}
			continue
		}
		for i := start; i <= last; i++ {
			if matchAt(lines, want, i, same) {
				return i
			}
		}
	}
	return -1
}

func matchAt(lines, want []string, at int, same func(a, b string) bool) bool {
	for j, w := range want {
		if !same(lines[at+j], w) {
			return false
		}
	}
	return true
}

// normalise trims a line and maps typographic punctuation and unusual spaces
// to their ASCII twins.
func normalise(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.TrimSpace(s) {
		b.WriteRune(asciiTwin(r))
	}
	return b.String()
}

func asciiTwin(r rune) rune {
	switch r {
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\uFE58', '\uFE63', '\uFF0D':
		return '-'
	case '\u2018', '\u2019', '\u201A', '\u201B', '\u2032', '\uFF07':
		return '\''
	case '\u201C', '\u201D', '\u201E', '\u201F', '\u2033', '\u00AB', '\u00BB', '\uFF02':
		return '"'
	case '\u2026':
		return '.'
	}
	if r != ' ' && r != '\t' && unicode.IsSpace(r) || r == '\u200B' || r == '\uFEFF' {
		return ' '
	}
	return r
}

// nearestMaxLines bounds the lines of a hunk compared by nearest, which
// runs over the whole file.
const nearestMaxLines = 16

// nearest finds where want comes closest to matching lines, for a failure
// message: the index whose window shares the most lines with want (compared
// loosely), or -1 when no line is shared.
func nearest(lines, want []string, start int) int {
	best, bestScore := -1, 0
	if len(want) == 0 {
		return -1
	}
	if len(want) > nearestMaxLines {
		want = want[:nearestMaxLines]
	}
	for i := 0; i < len(lines); i++ {
		score := 0
		for j, w := range want {
			if i+j < len(lines) && normalise(w) != "" && normalise(lines[i+j]) == normalise(w) {
				score++
			}
		}
		// Prefer places at or after start: hunks apply in order.
		if score > bestScore || (score == bestScore && score > 0 && best < start && i >= start) {
			best, bestScore = i, score
		}
	}
	return best
}
