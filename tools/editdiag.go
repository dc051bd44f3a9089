package tools

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// maxListedMatches bounds the places a message lists.
const maxListedMatches = 10

// The diagnosis of an edit that did not match is bounded: past these sizes
// it is not tried, and it gives up after diagBudget (a 64 MiB file of short
// lines and an oldString of thousands of lines took 100 CPU-seconds, and
// went on after the call was cancelled).
const (
	diagMaxContent = 8 << 20
	diagMaxLines   = 2000
	diagBudget     = 200 * time.Millisecond
)

// matchLines lists where old occurs in content, as "line 3, lines 17-19".
func matchLines(content, old string) string {
	if old == "" {
		return ""
	}
	span := strings.Count(strings.TrimSuffix(old, "\n"), "\n") + 1
	var places []string
	line, from := 1, 0
	for len(places) < maxListedMatches {
		i := strings.Index(content[from:], old)
		if i < 0 {
			break
		}
		line += strings.Count(content[from:from+i], "\n")
		places = append(places, lineRange(line, span))
		line += strings.Count(old, "\n")
		from += i + len(old)
	}
	if strings.Count(content, old) > len(places) {
		places = append(places, "...")
	}
	return strings.Join(places, ", ")
}

func lineRange(first, count int) string {
	if count <= 1 {
		return fmt.Sprintf("line %d", first)
	}
	return fmt.Sprintf("lines %d-%d", first, first+count-1)
}

// explainNoMatch says why old does not occur in content, as precisely as it
// can: read's line numbers copied along, differences of trailing
// whitespace, of indentation or of any whitespace, or a first line found
// with different lines after it.
func explainNoMatch(content, old, name string) string {
	oldLines := trimBlankEdges(strings.Split(old, "\n"))
	if len(oldLines) == 0 {
		return fmt.Sprintf("oldString is only whitespace and does not occur in %s: give the text to replace", name)
	}
	if hasLineNumbers(oldLines) {
		return fmt.Sprintf("oldString was not found in %s: it seems to include the line-number prefixes that read shows (\"    12<TAB>\"); leave them out and copy only the text after the tab", name)
	}
	generic := fmt.Sprintf("oldString was not found in %s; read the file again and copy the text exactly, whitespace included", name)
	if len(content) > diagMaxContent || len(oldLines) > diagMaxLines {
		return generic
	}
	deadline := time.Now().Add(diagBudget)
	fileLines := strings.Split(content, "\n")
	levels := []struct {
		norm func(string) string
		why  string
	}{
		{func(s string) string { return strings.TrimRight(s, " \t\r") }, "trailing whitespace is ignored: copy the lines exactly as read shows them"},
		{strings.TrimSpace, "indentation is ignored: check the indentation (tabs or spaces, and how deep)"},
		{dropSpace, "whitespace is ignored: check spaces, tabs and line breaks"},
	}
	for _, level := range levels {
		starts, done := fuzzyMatches(fileLines, oldLines, level.norm, deadline)
		if !done {
			return generic
		}
		if len(starts) == 0 {
			continue
		}
		places := make([]string, len(starts))
		for i, s := range starts {
			places[i] = lineRange(s+1, len(oldLines))
		}
		hint := indentHint(fileLines[starts[0]])
		return fmt.Sprintf("oldString was not found in %s exactly; it matches %s only if %s%s",
			name, strings.Join(places, ", "), level.why, hint)
	}
	first := strings.TrimSpace(oldLines[0])
	var at []string
	for i, l := range fileLines {
		if first != "" && strings.Contains(l, first) {
			at = append(at, fmt.Sprint(i+1))
			if len(at) == maxListedMatches {
				break
			}
		}
	}
	if len(at) > 0 && len(oldLines) > 1 {
		return fmt.Sprintf("oldString was not found in %s: its first line occurs at line %s, but the lines after it differ from the file; read that part again and copy it exactly",
			name, strings.Join(at, ", "))
	}
	return generic
}

// fuzzyMatches returns the 0-based first lines of the places where old
// matches lines once both go through norm. The first line of old may be the
// end of a file line, the last one the start of one, and a single line any
// part of one. Each file line is normalised once. done is false when the
// deadline passed first.
func fuzzyMatches(lines, old []string, norm func(string) string, deadline time.Time) (starts []int, done bool) {
	want := make([]string, len(old))
	for i, l := range old {
		want[i] = norm(l)
	}
	normed := make([]string, len(lines))
	for i, l := range lines {
		normed[i] = norm(l)
		if i%4096 == 0 && time.Now().After(deadline) {
			return nil, false
		}
	}
	for s := 0; s+len(want) <= len(normed) && len(starts) < maxListedMatches; s++ {
		if s%1024 == 0 && time.Now().After(deadline) {
			return nil, false
		}
		if windowMatches(normed[s:s+len(want)], want) {
			starts = append(starts, s)
		}
	}
	return starts, true
}

func windowMatches(window, want []string) bool {
	last := len(want) - 1
	for i, w := range want {
		got := window[i]
		var ok bool
		switch {
		case last == 0:
			ok = w != "" && strings.Contains(got, w)
		case i == 0:
			ok = strings.HasSuffix(got, w)
		case i == last:
			ok = strings.HasPrefix(got, w)
		default:
			ok = got == w
		}
		if !ok {
			return false
		}
	}
	return true
}

// indentHint names how a file line is indented, when it is.
func indentHint(line string) string {
	switch {
	case strings.HasPrefix(line, "\t"):
		return " (the file indents these lines with tabs)"
	case strings.HasPrefix(line, " "):
		return " (the file indents these lines with spaces)"
	}
	return ""
}

// hasLineNumbers reports whether every non-empty line starts with the
// prefix read puts before each line: spaces, digits, a tab.
func hasLineNumbers(lines []string) bool {
	for _, l := range lines {
		if l == "" {
			continue
		}
		rest := strings.TrimLeft(l, " ")
		digits := strings.TrimLeft(rest, "0123456789")
		if len(digits) == len(rest) || !strings.HasPrefix(digits, "\t") {
			return false
		}
	}
	return true
}

func trimBlankEdges(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func dropSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
