package tools

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
)

// This file is the directory walk shared by list, glob and grep: it skips
// .git directories and whatever the ignore files exclude (see ignore.go).
// The rules apply whether or not the workspace is a git repository. The
// start of a walk is searched even if it is itself ignored, as when the
// model names an ignored directory explicitly.

// rulesAbove returns the rules in force for the entries of dir, except dir's
// own .gitignore: the root's .git/info/exclude and the .gitignore files of
// the root and of every directory down to dir's parent. root and dir are
// real paths, dir inside root. Ignore files reached through a link out of
// the root are not read.
func rulesAbove(root, dir string) ignoreRules {
	var rules ignoreRules
	if exclude, err := resolveIn(root, ".git/info/exclude"); err == nil {
		rules = rules.with(exclude, "")
	}
	rel := relSlash(root, dir)
	if rel == "" {
		return rules
	}
	domain := ""
	for part := range strings.SplitSeq(rel, "/") {
		if file, err := resolveIn(root, path.Join(domain, ".gitignore")); err == nil {
			rules = rules.with(file, domain)
		}
		domain = path.Join(domain, part)
	}
	return rules
}

// relSlash is path relative to root with forward slashes, "" for the root.
func relSlash(root, p string) string {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == "." {
		return ""
	}
	return filepath.ToSlash(rel)
}

// readDirKept reads the directory abs, whose path below the root is rel,
// and returns its entries in lexical order without .git, without what the
// rules exclude and without FIFOs, sockets and devices, along with the
// rules in force for those entries (rules plus the directory's own
// .gitignore). An unreadable directory has no entries.
func readDirKept(home *Home, root, abs, rel string, rules ignoreRules) ([]fs.DirEntry, ignoreRules, error) {
	entries, err := readDirIn(root, abs)
	if err != nil && len(entries) == 0 {
		return nil, rules, err
	}
	for _, e := range entries {
		if e.Name() == ".gitignore" && e.Type().IsRegular() {
			rules = rules.with(filepath.Join(abs, ".gitignore"), rel)
			break
		}
	}
	kept := entries[:0]
	for _, e := range entries {
		name := e.Name()
		if name == ".git" || !walkable(e.Type()) {
			continue
		}
		if home.hiddenFromWalk(abs, filepath.Join(abs, name), e.Type()&fs.ModeSymlink != 0) {
			continue
		}
		if len(rules.patterns) > 0 && rules.ignored(joinRel(rel, name), name, e.IsDir()) {
			continue
		}
		kept = append(kept, e)
	}
	return kept, rules, nil
}

// walkable reports whether a walk visits an entry of this type: a directory,
// a regular file or a symbolic link. No tool reads the others, and grep must
// not open one: a FIFO blocks, a device may never end.
func walkable(t fs.FileMode) bool {
	return t.IsRegular() || t.IsDir() || t&fs.ModeSymlink != 0
}

func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// walkEntry is one entry a walk visits.
type walkEntry struct {
	abs   string      // real path of the entry's directory joined with its name
	rel   string      // slash-separated path relative to the root
	depth int         // 1 for the entries of the start directory
	entry fs.DirEntry // never a followed link: links are visited as links
}

// errSkipDir, returned by a visit function for a directory, skips its
// contents; errStopWalk ends the walk without an error.
var (
	errSkipDir  = errors.New("skip this directory")
	errStopWalk = errors.New("stop the walk")
)

// walkTree visits every directory, regular file and link below start (a
// real directory inside root) that the ignore rules keep, depth first in
// lexical order, a directory before its contents. Symbolic links are
// visited but never followed. Unreadable directories are skipped. It
// returns ctx.Err() when ctx ends first.
func walkTree(ctx context.Context, home *Home, root, start string, visit func(walkEntry) error) error {
	w := walker{ctx: ctx, visit: visit, home: home, root: root}
	err := w.dir(start, relSlash(root, start), rulesAbove(root, start), 1)
	if errors.Is(err, errStopWalk) {
		return nil
	}
	return err
}

type walker struct {
	home  *Home
	root  string
	ctx   context.Context
	visit func(walkEntry) error
}

func (w *walker) dir(abs, rel string, rules ignoreRules, depth int) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	entries, rules, _ := readDirKept(w.home, w.root, abs, rel, rules)
	for _, e := range entries {
		name := e.Name()
		child := walkEntry{abs: abs + string(filepath.Separator) + name, rel: joinRel(rel, name), depth: depth, entry: e}
		err := w.visit(child)
		if e.IsDir() {
			if errors.Is(err, errSkipDir) {
				continue
			}
			if err != nil {
				return err
			}
			if err := w.dir(child.abs, child.rel, rules, depth+1); err != nil {
				return err
			}
			continue
		}
		if err != nil && !errors.Is(err, errSkipDir) {
			return err
		}
	}
	return nil
}
