package tools

import (
	"bytes"
	"regexp/syntax"
	"slices"
	"unicode/utf8"
)

// maxNeedles bounds the strings searched for one pattern; past it the
// whole-file regexp search is as good.
const maxNeedles = 8

// needle is a string that candidate lines must contain. A fold needle is
// lower-case ASCII and is looked for in a lower-cased copy of the data, which
// finds it in any case.
type needle struct {
	text []byte
	fold bool
}

// requiredNeedles returns strings such that every match of re contains at
// least one of them, or false when it finds none worth searching for.
//
// A case-insensitive literal gives its longest run of ASCII characters other
// than k and s: other runes fold to those two (the Kelvin sign, the long s),
// and a lower-cased ASCII copy would not show them.
func requiredNeedles(re *syntax.Regexp) ([]needle, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		var n needle
		if re.Flags&syntax.FoldCase == 0 {
			n.text = []byte(string(re.Rune))
			if bytes.IndexByte(n.text, '\n') >= 0 {
				return nil, false
			}
		} else {
			n.text, n.fold = longestFoldRun(re.Rune), true
		}
		return []needle{n}, len(n.text) > 0
	case syntax.OpCapture, syntax.OpPlus:
		return requiredNeedles(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredNeedles(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []needle
		for _, sub := range re.Sub {
			if set, ok := requiredNeedles(sub); ok && (best == nil || needleScore(set) > needleScore(best)) {
				best = set
			}
		}
		return best, best != nil
	case syntax.OpAlternate:
		var all []needle
		for _, sub := range re.Sub {
			set, ok := requiredNeedles(sub)
			if !ok {
				return nil, false
			}
			all = append(all, set...)
		}
		return all, len(all) <= maxNeedles
	}
	return nil, false
}

// needleScore ranks sets: longer needles, fewer of them, exact before fold.
func needleScore(set []needle) float64 {
	shortest := len(set[0].text)
	folds := 0
	for _, n := range set {
		shortest = min(shortest, len(n.text))
		if n.fold {
			folds++
		}
	}
	return float64(shortest)/float64(len(set)) - 0.5*float64(folds)/float64(len(set))
}

func longestFoldRun(runes []rune) []byte {
	var best, cur []byte
	for _, r := range runes {
		lower := r
		if 'A' <= r && r <= 'Z' {
			lower = r + 'a' - 'A'
		}
		if r >= utf8.RuneSelf || lower == 'k' || lower == 's' || r == '\n' {
			cur = nil
			continue
		}
		cur = append(cur, byte(lower))
		if len(cur) > len(best) {
			best = slices.Clone(cur)
		}
	}
	return best
}

// finder yields the positions where any needle occurs, in order,
// remembering where each one occurs next so that nothing is scanned twice.
type finder struct {
	needles []needle
	data    []byte
	lower   []byte // data lower-cased (ASCII), when a needle folds
	at      []int  // per needle: next position; -2 not looked yet, -1 none left
}

func newFinder(needles []needle, data []byte, scratch *[]byte) *finder {
	f := &finder{needles: needles, data: data, at: make([]int, len(needles))}
	for i, n := range needles {
		f.at[i] = -2
		if n.fold && f.lower == nil {
			*scratch = lowerASCII((*scratch)[:0], data)
			f.lower = *scratch
		}
	}
	return f
}

// next returns the first position at or after pos where a needle starts,
// or -1.
func (f *finder) next(pos int) int {
	best := -1
	for i, n := range f.needles {
		if f.at[i] != -1 && f.at[i] < pos {
			hay := f.data
			if n.fold {
				hay = f.lower
			}
			f.at[i] = -1
			if j := bytes.Index(hay[pos:], n.text); j >= 0 {
				f.at[i] = pos + j
			}
		}
		if f.at[i] >= 0 && (best < 0 || f.at[i] < best) {
			best = f.at[i]
		}
	}
	return best
}

// lowerASCII appends src to dst with A-Z made lower-case; other bytes,
// multi-byte runes included, are copied as they are, so positions match.
func lowerASCII(dst, src []byte) []byte {
	dst = slices.Grow(dst, len(src))[:len(src)]
	for i, c := range src {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
	return dst
}
