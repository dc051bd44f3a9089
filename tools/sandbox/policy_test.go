package sandbox

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestNewPolicy(t *testing.T) {
	ws, home, own := t.TempDir(), t.TempDir(), t.TempDir()
	p, err := NewPolicy(WorkspaceWrite, ws, home, own)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{realPath(ws), realPath(os.TempDir()), realPath(own)} {
		if !slices.Contains(p.Writable, want) {
			t.Errorf("writable %v lacks %s", p.Writable, want)
		}
	}
	if !slices.Equal(p.Hidden, []string{realPath(home)}) || p.Network {
		t.Errorf("hidden %v network %v", p.Hidden, p.Network)
	}
	ro, err := NewPolicy(ReadOnly, ws, home)
	if err != nil || len(ro.Writable) != 0 || len(ro.Hidden) != 1 || ro.Network {
		t.Errorf("read-only policy %+v, %v", ro, err)
	}
	if _, err := NewPolicy(FullAccess, ws, home); err == nil {
		t.Error("full-access has a policy")
	}
	// A writable folder inside the hidden one is dropped.
	inside := filepath.Join(home, "tmp")
	os.Mkdir(inside, 0o700)
	p, _ = NewPolicy(WorkspaceWrite, ws, home, inside)
	if slices.Contains(p.Writable, realPath(inside)) {
		t.Errorf("writable %v holds a folder of the hidden home", p.Writable)
	}
}

func TestPolicyRoundTrip(t *testing.T) {
	p := Policy{Writable: []string{"/w s", `/q"x`}, Hidden: []string{"/h"}, Network: true}
	got, err := DecodePolicy(p.Encode())
	if err != nil || !slices.Equal(got.Writable, p.Writable) || !slices.Equal(got.Hidden, p.Hidden) || !got.Network {
		t.Errorf("round trip %+v, %v", got, err)
	}
	for _, bad := range []string{"", "{", `{"writable":["rel"]}`, `{"hidden":["x/y"]}`, `{"other":1}`} {
		if _, err := DecodePolicy(bad); err == nil {
			t.Errorf("DecodePolicy(%q) accepted", bad)
		}
	}
}

func TestParseArgs(t *testing.T) {
	pol := Policy{Writable: []string{"/w"}}.Encode()
	p, argv, err := parseArgs([]string{"--policy", pol, "--", "bash", "-c", "echo --policy"})
	if err != nil || !slices.Equal(argv, []string{"bash", "-c", "echo --policy"}) || !slices.Equal(p.Writable, []string{"/w"}) {
		t.Errorf("parseArgs = %+v %q %v", p, argv, err)
	}
	for _, bad := range [][]string{nil, {"--", "ls"}, {"--policy"}, {"--policy", pol}, {"--policy", pol, "--"}, {"--policy", pol, "ls"}, {"--policy", "{", "--", "ls"}} {
		if _, _, err := parseArgs(bad); err == nil {
			t.Errorf("parseArgs(%q) accepted", bad)
		}
	}
}

// TestReadGrants: the grants cover every entry on the way to the hidden
// folder but the folder itself, and no link that leads into it.
func TestReadGrants(t *testing.T) {
	root := realPath(t.TempDir())
	home := filepath.Join(root, "user")
	hidden := filepath.Join(home, ".local", "deckhand")
	for _, d := range []string{hidden, filepath.Join(home, "src"), filepath.Join(home, ".local", "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(home, ".bashrc"), nil, 0o644)
	os.WriteFile(filepath.Join(hidden, "auth.json"), nil, 0o600)
	os.Symlink(hidden, filepath.Join(home, "to-hidden"))
	os.Symlink(home, filepath.Join(root, "to-home")) // holds the hidden folder
	os.Symlink(filepath.Join(home, "src"), filepath.Join(home, "to-src"))
	os.Symlink(filepath.Join(root, "gone"), filepath.Join(home, "dangling"))

	p := Policy{Hidden: []string{hidden}}
	got := map[string]bool{}
	for _, g := range p.readGrants() {
		got[g.path] = g.dir
	}
	for path, dir := range map[string]bool{
		filepath.Join(home, "src"):           true,
		filepath.Join(home, ".local", "bin"): true,
		filepath.Join(home, ".bashrc"):       false,
		filepath.Join(home, "to-src"):        true,
		"/proc":                              true,
	} {
		if d, ok := got[path]; !ok || d != dir {
			t.Errorf("%s: granted %v (dir %v), want dir %v", path, ok, d, dir)
		}
	}
	for _, path := range []string{"/", root, home, filepath.Join(home, ".local"), hidden,
		filepath.Join(hidden, "auth.json"), filepath.Join(home, "to-hidden"), filepath.Join(root, "to-home"), filepath.Join(home, "dangling")} {
		if _, ok := got[path]; ok {
			t.Errorf("%s is granted", path)
		}
	}
	for path := range got {
		if strings.HasPrefix(path, hidden) {
			t.Errorf("%s inside the hidden folder is granted", path)
		}
	}
	if g := (Policy{}).readGrants(); len(g) != 1 || g[0] != (grant{"/", true}) {
		t.Errorf("with nothing hidden the grants are %v, want / alone", g)
	}
}
