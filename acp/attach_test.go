package acp

import "testing"

// TestFileOfLines: the line fragment an editor puts on a file link, a single
// line (#L12) included, which names that line alone rather than the file.
func TestFileOfLines(t *testing.T) {
	cases := []struct {
		uri        string
		path       string
		start, end int
		ok         bool
	}{
		{"file:///w/a.go#L12", "/w/a.go", 12, 12, true},
		{"file:///w/a.go#L2-L4", "/w/a.go", 2, 4, true},
		{"file:///w/a.go#L2-4", "/w/a.go", 2, 4, true},
		{"file:///w/a.go#L2:4", "/w/a.go", 2, 4, true},
		{"file:///w/a.go", "/w/a.go", 0, 0, true},
		{"file:///w/a.go#L0", "/w/a.go", 0, 0, true},
		{"file:///w/a.go#L5-L3", "/w/a.go", 0, 0, true},
		{"file:///w/a.go#top", "/w/a.go", 0, 0, true},
		{"https://example.com/a.go#L12", "", 0, 0, false},
	}
	for _, c := range cases {
		path, start, end, ok := fileOf(c.uri)
		if path != c.path || start != c.start || end != c.end || ok != c.ok {
			t.Errorf("fileOf(%q) = %q %d-%d %v, want %q %d-%d %v", c.uri, path, start, end, ok, c.path, c.start, c.end, c.ok)
		}
	}
}
