package tools

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

const (
	grepMaxMatches  = 500
	grepMaxLineText = 300      // characters of a matching line shown
	grepMaxFileSize = 64 << 20 // larger files are skipped
)

type grepParams struct {
	Pattern string `json:"pattern" desc:"RE2 regular expression (Go syntax), matched against each line, e.g. \"func New[A-Z]\\\\w*\\\\(\" or \"(?i)todo\"."`
	Path    string `json:"path,omitempty" desc:"File or directory to search: relative to the workspace root, or absolute inside it. Default: the workspace root."`
	Include string `json:"include,omitempty" desc:"Only search files matching this glob: on the file name (\"*.go\", \"*.{ts,tsx}\") or, with a \"/\", on the path below the searched directory (\"**/internal/**/*.go\")."`
}

type grepTool struct {
	maxMatches int // 0 means grepMaxMatches; the benchmark raises it
}

func (grepTool) Name() string { return "grep" }

func (grepTool) ReadOnly() bool { return true }

func (grepTool) Schema() map[string]any { return schemaOf(grepParams{}) }

func (grepTool) Description() string {
	return `Search file contents with a regular expression (RE2, Go syntax) and get "path:line:text" for every matching line, sorted by path and line, paths relative to the workspace root.
- The pattern is applied to each line on its own: "^" and "$" are the line's start and end, and a match never spans lines. Use (?i) for case-insensitive search; escape regexp characters such as ( [ . * + ? { | \ when you mean them literally.
- Narrow with path (a directory or a single file) and include (a glob such as "*.go" or "*.{ts,tsx}").
- Files excluded by .gitignore (and .git/info/exclude), .git itself and binary files are skipped. Long lines are cut to 300 characters.
- At most 500 matches are returned; when the answer says it stopped there, narrow the pattern, path or include.
- Use grep to find where something is defined or used, then read the file around the line numbers it gives.`
}

func (t grepTool) Run(ctx context.Context, env *Env, args json.RawMessage) (Result, error) {
	var p grepParams
	if res, ok := decodeArgs(args, &p); !ok {
		return res, nil
	}
	if p.Pattern == "" {
		return fail("invalid arguments: pattern must not be empty"), nil
	}
	matcher, err := newLineMatcher(p.Pattern)
	if err != nil {
		return fail("invalid regular expression %q: %v", p.Pattern, err), nil
	}
	include := strings.TrimSpace(p.Include)
	if include != "" && !doublestar.ValidatePattern(include) {
		return fail("invalid include glob %q", p.Include), nil
	}
	target := cmp.Or(strings.TrimSpace(p.Path), ".")
	real, res, ok := env.resolve(target)
	if !ok {
		return res, nil
	}
	info, err := os.Stat(real)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fail("path %q not found", target), nil
		}
		return fail("cannot search %q: %v", target, unwrapPathError(err)), nil
	}
	s := &search{
		root:       env.Root,
		home:       env.Home,
		matcher:    matcher,
		include:    include,
		maxMatches: cmp.Or(t.maxMatches, grepMaxMatches),
	}
	switch {
	case info.IsDir():
		if err := s.dir(ctx, env.Root, real); err != nil {
			return Result{}, err
		}
	case !info.Mode().IsRegular():
		return fail("%q is not a regular file (%s): not searched", target, kindOf(info.Mode())), nil
	default:
		var buf scratch
		hits, err := s.file(real, env.rel(real), &buf)
		if errors.Is(err, errNotRegular) {
			return fail("%q is not a regular file: not searched", target), nil
		}
		if errors.Is(err, errBinary) {
			return fail("%q is a binary file, not searched", target), nil
		}
		if errors.Is(err, errTooLarge) {
			return fail("%q is larger than %d MiB, not searched", target, grepMaxFileSize>>20), nil
		}
		if err != nil {
			return fail("cannot search %q: %v", target, unwrapPathError(err)), nil
		}
		s.hits = hits
	}
	return Result{Output: s.render(p.Pattern, env.where(real))}, nil
}

// render formats the hits sorted by path and line, cut to the cap.
func (s *search) render(pattern, where string) string {
	if len(s.hits) == 0 {
		out := fmt.Sprintf("No matches for %q in %s.", pattern, where)
		if s.include != "" {
			out = fmt.Sprintf("No matches for %q in %s (files matching %q).", pattern, where, s.include)
		}
		return out + s.skippedNote()
	}
	slices.SortFunc(s.hits, func(a, b grepHit) int {
		if c := strings.Compare(a.path, b.path); c != 0 {
			return c
		}
		return cmp.Compare(a.line, b.line)
	})
	capped := len(s.hits) >= s.maxMatches
	hits := s.hits[:min(len(s.hits), s.maxMatches)]
	var b strings.Builder
	for _, h := range hits {
		fmt.Fprintf(&b, "%s:%d:%s\n", h.path, h.line, h.text)
	}
	out := strings.TrimSuffix(b.String(), "\n")
	if capped {
		out += fmt.Sprintf("\n\n(stopped at %d matches; there may be more: narrow the pattern, path or include.)", s.maxMatches)
	}
	return out + s.skippedNote()
}

func (s *search) skippedNote() string {
	if n := s.skippedLarge.Load(); n > 0 {
		return fmt.Sprintf("\n(skipped %d files larger than %d MiB)", n, grepMaxFileSize>>20)
	}
	return ""
}

// includes reports whether a file passes the include glob: on its name, or
// with a "/" in the glob, on its path below the searched directory.
func (s *search) includes(relToDir string) bool {
	if s.include == "" {
		return true
	}
	if strings.Contains(s.include, "/") {
		return doublestar.MatchUnvalidated(s.include, relToDir)
	}
	return doublestar.MatchUnvalidated(s.include, filepath.Base(relToDir))
}
