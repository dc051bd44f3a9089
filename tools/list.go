package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const listMaxEntries = 1000

type listParams struct {
	Path string `json:"path,omitempty" desc:"The directory to list: relative to the workspace root, or absolute inside it. Default: the workspace root."`
}

type listTool struct {
	maxEntries int // 0 means listMaxEntries; tests lower it
}

func (listTool) Name() string { return "list" }

func (listTool) ReadOnly() bool { return true }

func (listTool) Schema() map[string]any { return schemaOf(listParams{}) }

func (listTool) Description() string {
	return `List a directory of the workspace as an indented tree, to get your bearings in a project.
- Directories end with "/"; symbolic links show as "name -> target" and are not followed.
- Files and directories excluded by .gitignore (and .git/info/exclude) are left out, and so is .git.
- The tree is listed breadth first and capped at 1000 entries: "..." marks a directory not listed in full; list it on its own to see inside.
- To find files by name use glob; to find text in files use grep.`
}

func (t listTool) Run(ctx context.Context, env *Env, args json.RawMessage) (Result, error) {
	var p listParams
	if res, ok := decodeArgs(args, &p); !ok {
		return res, nil
	}
	if strings.TrimSpace(p.Path) == "" {
		p.Path = "."
	}
	real, res, ok := env.resolve(p.Path)
	if !ok {
		return res, nil
	}
	info, err := os.Stat(real)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fail("directory %q not found", p.Path), nil
		}
		return fail("cannot list %q: %v", p.Path, unwrapPathError(err)), nil
	}
	if !info.IsDir() {
		return fail("%q is a file, not a directory: use read to see its content", p.Path), nil
	}
	limit := t.maxEntries
	if limit <= 0 {
		limit = listMaxEntries
	}
	tree, err := buildTree(ctx, env.Home, env.Root, real, limit)
	if err != nil {
		return Result{}, err
	}
	var b strings.Builder
	b.WriteString(env.rel(real) + "/\n")
	if len(tree.root.children) == 0 {
		b.WriteString("  (empty)\n")
	}
	tree.root.render(&b, 1)
	if tree.capped {
		fmt.Fprintf(&b, "\n(listing capped at %d entries; a \"...\" marks a directory not listed in full: list it on its own to see more.)\n", limit)
	}
	return Result{Output: strings.TrimSuffix(b.String(), "\n")}, nil
}

type treeNode struct {
	name     string
	dir      bool
	link     string // target of a symbolic link
	expanded bool
	more     bool // expanded only in part
	children []*treeNode
}

type tree struct {
	root   *treeNode
	count  int
	capped bool
}

// buildTree lists start breadth first, so that a capped listing still shows
// the top levels whole.
func buildTree(ctx context.Context, home *Home, root, start string, limit int) (*tree, error) {
	type pending struct {
		node  *treeNode
		abs   string
		rel   string
		rules ignoreRules
	}
	t := &tree{root: &treeNode{dir: true}}
	queue := []pending{{node: t.root, abs: start, rel: relSlash(root, start), rules: rulesAbove(root, start)}}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cur := queue[0]
		queue = queue[1:]
		entries, rules, _ := readDirKept(home, root, cur.abs, cur.rel, cur.rules)
		cur.node.expanded = true
		for _, e := range entries {
			if t.count == limit {
				cur.node.more = true
				t.capped = true
				return t, nil
			}
			t.count++
			n := &treeNode{name: e.Name(), dir: e.IsDir()}
			abs := filepath.Join(cur.abs, e.Name())
			if e.Type()&fs.ModeSymlink != 0 {
				n.link, _ = os.Readlink(abs)
			}
			cur.node.children = append(cur.node.children, n)
			if n.dir {
				queue = append(queue, pending{node: n, abs: abs, rel: joinRel(cur.rel, e.Name()), rules: rules})
			}
		}
	}
	return t, nil
}

func (n *treeNode) render(b *strings.Builder, depth int) {
	for _, c := range n.children {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(c.name)
		switch {
		case c.link != "":
			b.WriteString(" -> " + c.link)
		case c.dir && !c.expanded:
			b.WriteString("/ ...")
		case c.dir:
			b.WriteString("/")
		}
		b.WriteByte('\n')
		c.render(b, depth+1)
	}
	if n.more {
		b.WriteString(strings.Repeat("  ", depth) + "...\n")
	}
}
