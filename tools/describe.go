package tools

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// describeMax bounds the length of a Describe line.
const describeMax = 200

// Describe returns one line for a permission prompt that says what the call
// would do, such as "Write 120 bytes to src/a.go" or "Run: go test ./...".
// Arguments it cannot decode are described as such, never echoed.
func Describe(name string, args json.RawMessage) string {
	var line string
	switch name {
	case "read":
		var p readParams
		if !quietDecode(args, &p) {
			return unreadable(name)
		}
		line = "Read " + p.Path
		if p.Offset > 0 || p.Limit > 0 {
			line += fmt.Sprintf(" (from line %d)", max(p.Offset, 1))
		}
	case "list":
		var p listParams
		if !quietDecode(args, &p) {
			return unreadable(name)
		}
		line = "List " + orRoot(p.Path)
	case "glob":
		var p globParams
		if !quietDecode(args, &p) {
			return unreadable(name)
		}
		line = fmt.Sprintf("Find files matching %s in %s", p.Pattern, orRoot(p.Path))
	case "grep":
		var p grepParams
		if !quietDecode(args, &p) {
			return unreadable(name)
		}
		line = fmt.Sprintf("Search for %q in %s", p.Pattern, orRoot(p.Path))
		if p.Include != "" {
			line += " (" + p.Include + ")"
		}
	case "write":
		var p writeParams
		if !quietDecode(args, &p) {
			return unreadable(name)
		}
		line = fmt.Sprintf("Write %d bytes to %s", len(p.Content), p.Path)
	case "edit":
		var p editParams
		if !quietDecode(args, &p) {
			return unreadable(name)
		}
		what := "one occurrence"
		if p.ReplaceAll {
			what = "every occurrence"
		}
		n := strings.Count(p.OldString, "\n") + 1
		line = fmt.Sprintf("Edit %s: replace %s of a %d-line passage", p.Path, what, n)
	case "bash":
		var p bashParams
		if !quietDecode(args, &p) {
			return unreadable(name)
		}
		line = "Run: " + oneLine(p.Command)
	default:
		line = "Call " + name
	}
	return clip(line)
}

func quietDecode(args json.RawMessage, params any) bool {
	_, ok := decodeArgs(args, params)
	return ok
}

func unreadable(name string) string {
	return fmt.Sprintf("Call %s (with arguments that cannot be read)", name)
}

func orRoot(path string) string {
	if strings.TrimSpace(path) == "" {
		return "the workspace root"
	}
	return path
}

// oneLine shows a multi-line command as its first line and a count.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	first, rest, more := strings.Cut(s, "\n")
	if !more {
		return s
	}
	return fmt.Sprintf("%s (+%d more lines)", strings.TrimSpace(first), strings.Count(rest, "\n")+1)
}

func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= describeMax {
		return s
	}
	runes := []rune(s)
	return string(runes[:describeMax-3]) + "..."
}
