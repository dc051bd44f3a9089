package tools

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
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
		// The whole command, however long: a prompt that shows part of
		// it lets a harmful middle through.
		return runLine(p.Command)
	case "exec_command":
		var p execCommandParams
		if !quietDecode(args, &p) {
			return unreadable(name)
		}
		return runLine(p.Cmd) // whole, as for bash
	case "write_stdin":
		var p writeStdinParams
		if !quietDecode(args, &p) {
			return unreadable(name)
		}
		line = fmt.Sprintf("Write %d bytes to running command %d", len(p.Chars), int(p.SessionID))
		if p.Chars == "" {
			line = fmt.Sprintf("Wait for output of running command %d", int(p.SessionID))
		}
	case "view_image":
		var p viewImageParams
		if !quietDecode(args, &p) {
			return unreadable(name)
		}
		line = "View image " + p.Path
	case "apply_patch":
		line = describePatch(PatchInput(args))
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

// flatten puts s on one line with nothing hidden: a run of whitespace that
// holds a line break shows as " ⏎ ", any other run as one space, and an
// invisible character (a control or format character, such as a
// right-to-left override) as its code point.
func flatten(s string) string {
	var b strings.Builder
	space, lineBreak := false, false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) {
			space = true
			lineBreak = lineBreak || isLineBreak(r)
			continue
		}
		switch {
		case lineBreak:
			b.WriteString(" ⏎ ")
		case space:
			b.WriteByte(' ')
		}
		space, lineBreak = false, false
		if unicode.IsGraphic(r) {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "<U+%04X>", r)
		}
	}
	return b.String()
}

func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// longCommand is the length from which a command's description says how
// long it is.
const longCommand = 200

// runLine describes a bash command in full, on one line, with its length
// when it is long.
func runLine(command string) string {
	flat := flatten(command)
	if n := utf8.RuneCountInString(flat); n > longCommand {
		return fmt.Sprintf("Run (%d characters): %s", n, flat)
	}
	return "Run: " + flat
}

// clip flattens s and, when it is longer than describeMax runes, cuts its
// end with a marker that says how much was left out. Nothing in the middle
// is ever dropped: what is shown is what comes first. Commands are never
// clipped (see runLine).
func clip(s string) string {
	s = flatten(s)
	runes := []rune(s)
	if len(runes) <= describeMax {
		return s
	}
	const marker = " … (%d more characters)"
	keep := describeMax - utf8.RuneCountInString(fmt.Sprintf(marker, len(runes)))
	return string(runes[:keep]) + fmt.Sprintf(marker, len(runes)-keep)
}
