package tools

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

const globMaxResults = 1000

type globParams struct {
	Pattern string `json:"pattern" desc:"Glob pattern relative to path, e.g. \"**/*.go\", \"src/**/*.{ts,tsx}\", \"cmd/*/main.go\". \"*\" stays within one directory; \"**\" crosses directories."`
	Path    string `json:"path,omitempty" desc:"The directory to search from: relative to the workspace root, or absolute inside it. Default: the workspace root."`
}

type globTool struct {
	maxResults int // 0 means globMaxResults; tests and benchmarks change it
}

func (globTool) Name() string { return "glob" }

func (globTool) ReadOnly() bool { return true }

func (globTool) Schema() map[string]any { return schemaOf(globParams{}) }

func (globTool) Description() string {
	return `Find files by name with a glob pattern; the answer lists paths relative to the workspace root, newest first (by modification time).
- "*" matches within one path segment, "**" any number of directories, "?" one character, "[abc]" a class, "{a,b}" alternatives. So "*.go" only looks in the search directory itself, while "**/*.go" looks everywhere below it.
- Only files are listed. Files excluded by .gitignore (and .git/info/exclude) are skipped, and so is .git.
- At most 1000 paths are shown; narrow the pattern or the path when the answer says there are more.
- To search inside files use grep; to see a directory's layout use list.`
}

func (t globTool) Run(ctx context.Context, env *Env, args json.RawMessage) (Result, error) {
	var p globParams
	if res, ok := decodeArgs(args, &p); !ok {
		return res, nil
	}
	if strings.TrimSpace(p.Pattern) == "" {
		return fail("invalid arguments: pattern must not be empty"), nil
	}
	base, pattern := doublestar.SplitPattern(filepath.ToSlash(p.Pattern))
	if pattern == "" || !doublestar.ValidatePattern(pattern) {
		return fail("invalid glob pattern %q", p.Pattern), nil
	}
	dir := base
	if !path.IsAbs(base) {
		dir = path.Join(filepath.ToSlash(cmp.Or(strings.TrimSpace(p.Path), ".")), base)
	}
	real, res, ok := env.resolve(dir)
	if !ok {
		return res, nil
	}
	info, err := os.Stat(real)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fail("directory %q not found", dir), nil
		}
		return fail("cannot search %q: %v", dir, unwrapPathError(err)), nil
	}
	if !info.IsDir() {
		return fail("%q is not a directory", dir), nil
	}
	matches, err := globFiles(ctx, env.Home, env.Root, real, pattern)
	if err != nil {
		return Result{}, err
	}
	if len(matches) == 0 {
		return Result{Output: fmt.Sprintf("No files match %q in %s.", p.Pattern, env.where(real))}, nil
	}
	slices.SortFunc(matches, func(a, b globMatch) int {
		if c := b.modTime.Compare(a.modTime); c != 0 {
			return c
		}
		return strings.Compare(a.rel, b.rel)
	})
	limit := cmp.Or(t.maxResults, globMaxResults)
	var b strings.Builder
	for _, m := range matches[:min(limit, len(matches))] {
		b.WriteString(m.rel)
		b.WriteByte('\n')
	}
	if len(matches) > limit {
		fmt.Fprintf(&b, "\n(showing the %d newest of %d matching files; narrow the pattern or the path to see the rest.)\n", limit, len(matches))
	}
	return Result{Output: strings.TrimSuffix(b.String(), "\n")}, nil
}

type globMatch struct {
	rel     string
	modTime time.Time
}

// globFiles returns the files below dir whose path relative to dir matches
// pattern (a valid doublestar pattern), with paths relative to root.
func globFiles(ctx context.Context, home *Home, root, dir, pattern string) ([]globMatch, error) {
	prune := newGlobPruner(pattern)
	prefix := len(dir) + 1
	var matches []globMatch
	err := walkTree(ctx, home, root, dir, func(e walkEntry) error {
		if e.entry.IsDir() {
			if !prune.mayEnter(e.depth, e.entry.Name()) {
				return errSkipDir
			}
			return nil
		}
		rel := filepath.ToSlash(e.abs[prefix:])
		if !doublestar.MatchUnvalidated(pattern, rel) {
			return nil
		}
		if e.entry.Type()&fs.ModeSymlink != 0 {
			// A link is listed when it leads to a regular file (wherever
			// that is: only its name is shown, and reading it is confined).
			if target, err := os.Stat(e.abs); err != nil || !target.Mode().IsRegular() {
				return nil
			}
		}
		info, err := e.entry.Info()
		if err != nil {
			return nil // gone since the directory was read
		}
		matches = append(matches, globMatch{rel: e.rel, modTime: info.ModTime()})
		return nil
	})
	return matches, err
}

// globPruner skips directories that no path matching the pattern can be in:
// those deeper than a pattern without "**" reaches, and those whose name
// fails the pattern's leading literal-depth segments.
type globPruner struct {
	fixed    []string // segments before the first one holding "**"
	maxDepth int      // deepest directory worth entering, -1 for any
}

func newGlobPruner(pattern string) globPruner {
	if strings.Contains(pattern, "{") {
		// An alternative may hold a "/", so segments cannot be split safely.
		return globPruner{maxDepth: -1}
	}
	segments := strings.Split(pattern, "/")
	p := globPruner{maxDepth: len(segments) - 1}
	for i, s := range segments {
		if strings.Contains(s, "**") {
			p.fixed = segments[:i]
			p.maxDepth = -1
			return p
		}
	}
	p.fixed = segments[:len(segments)-1]
	return p
}

// mayEnter reports whether a directory at depth (1 for the search
// directory's children) named name can hold a match.
func (p globPruner) mayEnter(depth int, name string) bool {
	if p.maxDepth >= 0 && depth > p.maxDepth {
		return false
	}
	if depth <= len(p.fixed) {
		return doublestar.MatchUnvalidated(p.fixed[depth-1], name)
	}
	return true
}
