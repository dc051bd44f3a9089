package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Mode is how much a command may do on the machine (PROTOCOL 1.2's
// `sandbox`).
type Mode string

// Sandbox modes.
const (
	// ReadOnly commands read, and write nothing but device files such as
	// /dev/null.
	ReadOnly Mode = "read-only"
	// WorkspaceWrite commands also write the workspace and the temp
	// folders. The default.
	WorkspaceWrite Mode = "workspace-write"
	// FullAccess commands run outside the sandbox, as the user.
	FullAccess Mode = "full-access"
)

// ParseMode reads a mode; "" is WorkspaceWrite.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case "":
		return WorkspaceWrite, nil
	case ReadOnly, WorkspaceWrite, FullAccess:
		return m, nil
	}
	return "", fmt.Errorf("sandbox %q: must be read-only, workspace-write or full-access", s)
}

// Policy is what one sandboxed command may do. Every path is absolute and
// free of symbolic links.
type Policy struct {
	// Writable are the folders the command may write (and read), with
	// everything beneath them.
	Writable []string `json:"writable,omitempty"`
	// Hidden are the folders it may neither read nor write, though every
	// other path is readable: deckhand's own data folder.
	Hidden []string `json:"hidden,omitempty"`
	// Network lets it open TCP connections; false closes them where the
	// sandbox can.
	Network bool `json:"network,omitempty"`
}

// devices are the files every sandboxed command may write: where output
// is thrown away, and the terminal.
var devices = []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/ptmx", "/dev/random", "/dev/urandom"}

// NewPolicy is the policy of a command run under mode in workspace, by a
// deckhand whose data folder is home. Under WorkspaceWrite the command may
// write the workspace, the system temp folder and the extra folders given
// (its own temp dir); under ReadOnly nothing. FullAccess has no policy: such
// a command runs outside the sandbox, and NewPolicy reports an error.
func NewPolicy(mode Mode, workspace, home string, extra ...string) (Policy, error) {
	var p Policy
	if home != "" {
		p.Hidden = []string{realPath(home)}
	}
	switch mode {
	case ReadOnly:
	case WorkspaceWrite:
		if workspace == "" {
			return Policy{}, fmt.Errorf("sandbox: no workspace to write")
		}
		for _, dir := range append([]string{workspace, os.TempDir(), "/tmp"}, extra...) {
			if dir == "" {
				continue
			}
			real := realPath(dir)
			if _, err := os.Stat(real); err != nil || slices.Contains(p.Writable, real) || p.hidden(real) {
				continue
			}
			p.Writable = append(p.Writable, real)
		}
	default:
		return Policy{}, fmt.Errorf("sandbox: mode %q has no policy", mode)
	}
	return p, nil
}

// realPath is path made absolute and rid of symbolic links where it
// exists; a path that does not exist is only cleaned.
func realPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// hidden reports whether path is a hidden folder or lies inside one.
func (p Policy) hidden(path string) bool {
	for _, h := range p.Hidden {
		if within(path, h) {
			return true
		}
	}
	return false
}

// holdsHidden reports whether a hidden folder lies strictly inside dir.
func (p Policy) holdsHidden(dir string) bool {
	for _, h := range p.Hidden {
		if h != dir && within(h, dir) {
			return true
		}
	}
	return false
}

// within reports whether path is dir or lies beneath it.
func within(path, dir string) bool {
	if path == dir || dir == "/" {
		return true
	}
	return strings.HasPrefix(path, dir+"/")
}

// Encode is the policy as the re-exec's --policy argument.
func (p Policy) Encode() string {
	b, _ := json.Marshal(p) // strings and a bool: cannot fail
	return string(b)
}

// DecodePolicy reads an Encode'd policy and checks that its paths are
// absolute.
func DecodePolicy(s string) (Policy, error) {
	var p Policy
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Policy{}, fmt.Errorf("policy: %w", err)
	}
	for _, path := range append(slices.Clone(p.Writable), p.Hidden...) {
		if !filepath.IsAbs(path) {
			return Policy{}, fmt.Errorf("policy: path %q is not absolute", path)
		}
	}
	return p, nil
}

// grant is one path the command may read, with what lies beneath it when
// it is a folder.
type grant struct {
	path string
	dir  bool
}

// readGrants lists the paths that together cover the whole file system but
// the hidden folders.
func (p Policy) readGrants() []grant { return p.cover("/") }

// cover lists the paths that together cover root but the hidden folders.
// Landlock only grants, and a grant on a folder reaches everything beneath
// it; so each folder on the way from root to a hidden one is not granted
// itself (it cannot be listed, nor written when root is writable) but each
// of its other entries is. An entry that is a symbolic link is granted only
// when its target neither lies in a hidden folder nor holds one. Entries
// other than folders and regular files (sockets, pipes) on that way are
// left out.
func (p Policy) cover(root string) []grant {
	var out []grant
	var walk func(dir string)
	walk = func(dir string) {
		if p.hidden(dir) {
			return
		}
		if !p.holdsHidden(dir) {
			out = append(out, grant{dir, true})
			return
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			if p.hidden(path) {
				continue
			}
			info, err := os.Stat(path) // follows a link
			if err != nil || !(info.IsDir() || info.Mode().IsRegular()) {
				continue
			}
			if e.Type()&os.ModeSymlink != 0 {
				real, err := filepath.EvalSymlinks(path)
				if err != nil || p.hidden(real) || p.holdsHidden(real) {
					continue
				}
				out = append(out, grant{path, info.IsDir()})
				continue
			}
			if info.IsDir() {
				walk(path)
			} else {
				out = append(out, grant{path, false})
			}
		}
	}
	walk(root)
	return out
}
