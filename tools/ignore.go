package tools

import (
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// This file reads git's ignore files: .git/info/exclude at the workspace
// root, and the .gitignore of every directory. The rules are git's: the
// last matching line wins and a deeper file takes precedence; `!`
// re-includes; a pattern with a `/` at its start or in its middle is
// anchored to its file's directory and matched against the path below it,
// any other against the name alone, at any depth; a trailing `/` matches
// directories only; `*` and `?` stay within a name and `**` spans
// directories. An excluded directory is not entered, so nothing below it
// can be re-included, as in git.
//
// go-git's gitignore matcher was the other choice; it checks a name
// pattern against every component of a path, ancestors included, which
// would hide the contents of an ignored directory even when the model asks
// for that directory by name. Matching only what git matches, at the level
// the walk reaches, keeps that working.

// ignorePattern is one line of an ignore file.
type ignorePattern struct {
	glob     string // doublestar pattern
	literal  bool   // glob has no wildcard: compare strings
	anchored bool   // match the path below domain, not the name
	dirOnly  bool
	negate   bool
	domain   string // directory of the ignore file, relative to the root; "" for the root
}

// parseIgnoreLine parses one line of an ignore file found in domain; ok is
// false for blank lines and comments.
func parseIgnoreLine(line, domain string) (ignorePattern, bool) {
	line = strings.TrimSuffix(line, "\r")
	if line == "" || line[0] == '#' {
		return ignorePattern{}, false
	}
	p := ignorePattern{domain: domain}
	if line[0] == '!' {
		p.negate = true
		line = line[1:]
	} else if strings.HasPrefix(line, `\#`) || strings.HasPrefix(line, `\!`) {
		line = line[1:]
	}
	// Trailing spaces go, unless escaped with a backslash.
	for strings.HasSuffix(line, " ") && !strings.HasSuffix(line, `\ `) {
		line = line[:len(line)-1]
	}
	if strings.HasSuffix(line, "/") {
		p.dirOnly = true
		line = strings.TrimRight(line, "/")
	}
	if strings.Contains(line, "/") {
		p.anchored = true
		line = strings.TrimPrefix(line, "/")
	}
	if line == "" {
		return ignorePattern{}, false
	}
	// Braces are literal in git; doublestar would read them as alternatives.
	line = strings.NewReplacer("{", `\{`, "}", `\}`).Replace(line)
	if !doublestar.ValidatePattern(line) {
		return ignorePattern{}, false
	}
	p.glob = line
	p.literal = !strings.ContainsAny(line, `*?[\`)
	return p, true
}

// matches reports whether the pattern matches the entry at rel (relative to
// the root, slash-separated) whose last component is name.
func (p *ignorePattern) matches(rel, name string, isDir bool) bool {
	if p.dirOnly && !isDir {
		return false
	}
	subject := name
	if p.anchored {
		subject = rel
		if p.domain != "" {
			if !strings.HasPrefix(rel, p.domain+"/") {
				return false
			}
			subject = rel[len(p.domain)+1:]
		}
	}
	if p.literal {
		return subject == p.glob
	}
	return doublestar.MatchUnvalidated(p.glob, subject)
}

// ignoreRules is an immutable list of patterns in increasing order of
// precedence.
type ignoreRules struct {
	patterns []ignorePattern
}

// ignored reports whether the entry at rel, named name, is excluded.
func (r ignoreRules) ignored(rel, name string, isDir bool) bool {
	for i := len(r.patterns) - 1; i >= 0; i-- {
		if r.patterns[i].matches(rel, name, isDir) {
			return !r.patterns[i].negate
		}
	}
	return false
}

// ignoreMaxFileSize bounds an ignore file that is read; a larger one, or one
// that is not a regular file, is left unread.
const ignoreMaxFileSize = 4 << 20

// with returns the rules extended by the ignore file at path, found in the
// directory domain (relative to the root). r is left unchanged.
func (r ignoreRules) with(path, domain string) ignoreRules {
	data, _, err := readRegular("", path, ignoreMaxFileSize)
	if err != nil || len(data) == 0 {
		return r
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	patterns := r.patterns[:len(r.patterns):len(r.patterns)]
	added := false
	for line := range strings.SplitSeq(text, "\n") {
		if p, ok := parseIgnoreLine(line, domain); ok {
			patterns = append(patterns, p)
			added = true
		}
	}
	if !added {
		return r
	}
	return ignoreRules{patterns: patterns}
}
