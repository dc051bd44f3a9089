package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/deckhand-dev/deckhand/tools"
)

// Project instructions and the environment context: the first items of a
// session, in the shapes the official Codex CLI sends (user messages holding
// <environment_context> and "# AGENTS.md instructions for <dir>").

// instructionFile is the name of a project instruction file.
const instructionFile = "AGENTS.md"

// instructionsMax caps the instruction text one session carries, all files
// together.
const instructionsMax = 32 << 10

// instructionState is what a session has loaded of the project's
// instruction files.
type instructionState struct {
	mu    sync.Mutex
	dirs  map[string]bool // directories (relative, "." for the root) looked at
	used  int             // bytes of instructions sent
	noted bool            // the cap was reached and said so
}

// InstructionFiles lists the instruction files of the workspace root that a
// new session starts with, as absolute paths.
func (e *Engine) InstructionFiles() []string {
	e.mu.Lock()
	root := e.root
	e.mu.Unlock()
	if root == "" {
		return nil
	}
	env := &tools.Env{Root: root, Ledger: tools.NewLedger(), Home: e.home}
	st, err := tools.ReadState(env, instructionFile, 1)
	found := st.Exists || errors.Is(err, tools.ErrTooLarge) // larger than the byte asked for
	if !found {
		return []string{}
	}
	return []string{filepath.Join(root, instructionFile)}
}

// sessionContext is what a new session starts with: the environment, then
// the root's instructions.
func (t *turn) sessionContext(env *tools.Env) []Item {
	out := []Item{{Kind: ItemUser, Text: environmentContext(env.Root, time.Now())}}
	return append(out, t.instructionsFor(env, ".")...)
}

// environmentContext describes where deckhand runs, as Codex does.
func environmentContext(root string, now time.Time) string {
	var b strings.Builder
	b.WriteString("<environment_context>\n")
	fmt.Fprintf(&b, "  <cwd>%s</cwd>\n", root)
	fmt.Fprintf(&b, "  <os>%s/%s</os>\n", runtime.GOOS, runtime.GOARCH)
	b.WriteString("  <shell>bash</shell>\n") // the bash tool runs bash -c
	fmt.Fprintf(&b, "  <current_date>%s</current_date>\n", now.Format("2006-01-02"))
	fmt.Fprintf(&b, "  <timezone>%s</timezone>\n", timeZone(now))
	b.WriteString("</environment_context>")
	return b.String()
}

// timeZone names the local time zone: its IANA name when it can be found,
// else its abbreviation and offset.
func timeZone(now time.Time) string {
	if tz := os.Getenv("TZ"); tz != "" && !strings.HasPrefix(tz, ":") {
		return tz
	}
	if link, err := os.Readlink("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(link, "zoneinfo/"); ok {
			return name
		}
	}
	if name := time.Local.String(); name != "Local" && name != "" {
		return name
	}
	abbr, off := now.Zone()
	return fmt.Sprintf("%s (UTC%+03d:%02d)", abbr, off/3600, abs(off%3600)/60)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// instructionsFor returns the instruction files not yet loaded on the way
// from the root down to dir (relative to the root), as items.
func (t *turn) instructionsFor(env *tools.Env, dir string) []Item {
	st := &t.s.instructions
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.dirs == nil {
		st.dirs = map[string]bool{}
	}
	var out []Item
	for _, d := range pathDirs(dir) {
		if st.dirs[d] {
			continue
		}
		st.dirs[d] = true
		if text, ok := st.load(env, d); ok {
			out = append(out, Item{Kind: ItemUser, Text: text})
		}
	}
	return out
}

// load reads the instruction file of dir, within what the cap leaves.
func (st *instructionState) load(env *tools.Env, dir string) (string, bool) {
	fs, err := tools.ReadState(env, filepath.Join(dir, instructionFile), instructionsMax+1)
	switch {
	case errors.Is(err, tools.ErrTooLarge):
		fs, err = tools.FileState{Exists: true, Content: nil}, nil
		if data, rerr := readHead(env, filepath.Join(dir, instructionFile), instructionsMax+1); rerr == nil {
			fs.Content = data
		}
	case err != nil || !fs.Exists:
		return "", false
	}
	if len(strings.TrimSpace(string(fs.Content))) == 0 && fs.Content != nil {
		return "", false
	}
	left := instructionsMax - st.used
	if left <= 0 {
		if st.noted {
			return "", false
		}
		st.noted = true
		return fmt.Sprintf("# AGENTS.md instructions for %s\n\n(not included: the project's instruction files exceed %d KiB in all)", filepath.Join(env.Root, dir), instructionsMax>>10), true
	}
	text := string(fs.Content)
	note := ""
	if len(text) > left {
		text = cut(text, left)
		note = fmt.Sprintf("\n[AGENTS.md cut here: the project's instruction files exceed %d KiB in all; the rest is not included]", instructionsMax>>10)
		st.noted = true
	}
	st.used += len(text)
	return fmt.Sprintf("# AGENTS.md instructions for %s\n\n<INSTRUCTIONS>\n%s%s\n</INSTRUCTIONS>", filepath.Join(env.Root, dir), strings.TrimRight(text, "\n"), note), true
}

// readHead reads the first n bytes of a confined file too large to read
// whole.
func readHead(env *tools.Env, path string, n int) ([]byte, error) {
	real, err := tools.Resolve(env.Root, path)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(env.Root, real)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(env.Root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if k == 0 && err != nil {
		return nil, err
	}
	return buf[:k], nil
}

// pathDirs lists dir and its parents up to the root, root first: "a/b"
// gives ".", "a", "a/b".
func pathDirs(dir string) []string {
	dir = filepath.Clean(dir)
	out := []string{"."}
	if dir == "." || dir == "" {
		return out
	}
	parts := strings.Split(filepath.ToSlash(dir), "/")
	for i := range parts {
		out = append(out, filepath.Join(parts[:i+1]...))
	}
	return out
}

// workDirs are the directories (relative to the root) that calls work in:
// where the files they name are. Paths that leave the root are left out.
func workDirs(env *tools.Env, calls []Item) []string {
	var out []string
	for _, c := range calls {
		p := pathArg(c.Arguments)
		if p == "" {
			continue
		}
		if d, ok := dirOf(env, p, c.Name == "list"); ok {
			out = append(out, d)
		}
	}
	return out
}

// dirOf is the directory, relative to the root, of a path the model or the
// editor gave; isDir says the path names a directory itself.
func dirOf(env *tools.Env, path string, isDir bool) (string, bool) {
	real, err := tools.Resolve(env.Root, path)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(env.Root, real)
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		return "", false
	}
	if info, err := os.Stat(real); isDir || err == nil && info.IsDir() {
		return rel, true
	}
	return filepath.Dir(rel), true
}

// moreInstructions returns the instruction files of the directories the
// calls of a step worked in that the session has not seen yet.
func (t *turn) moreInstructions(env *tools.Env, calls []Item) []Item {
	var out []Item
	for _, d := range workDirs(env, calls) {
		out = append(out, t.instructionsFor(env, d)...)
	}
	return out
}

// pathArg is the "path" argument of a call, if it has one.
func pathArg(args string) string {
	var p struct {
		Path string `json:"path"`
	}
	if json.Unmarshal([]byte(args), &p) != nil {
		return ""
	}
	return strings.TrimSpace(p.Path)
}

// env is the tools' view of the session's workspace.
func (t *turn) env() *tools.Env {
	return &tools.Env{Root: t.s.root, Ledger: t.s.ledger, Home: t.e.home}
}
