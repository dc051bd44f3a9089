package patch

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// memFiles is Files in memory.
type memFiles map[string]string

func (m memFiles) ReadFile(name string) ([]byte, error) {
	s, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	return []byte(s), nil
}
func (m memFiles) WriteFile(name string, data []byte) error { m[name] = string(data); return nil }
func (m memFiles) Remove(name string) error                 { delete(m, name); return nil }

// BenchmarkPlanLargeFile plans a 50-hunk update of a 20,000-line file,
// diffs included.
func BenchmarkPlanLargeFile(b *testing.B) {
	var file strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&file, "line %d of the file\n", i)
	}
	var p strings.Builder
	p.WriteString("*** Begin Patch\n*** Update File: big.txt\n")
	for h := range 50 {
		i := h*400 + 200
		fmt.Fprintf(&p, "@@\n line %d of the file\n-line %d of the file\n+line %d, changed\n line %d of the file\n", i-1, i, i, i+1)
	}
	p.WriteString("*** End Patch\n")
	parsed, err := Parse(p.String())
	if err != nil {
		b.Fatal(err)
	}
	files := memFiles{"big.txt": file.String()}
	b.ResetTimer()
	for range b.N {
		changes, err := Plan(files, "/ws", parsed)
		if err != nil || len(changes) != 1 {
			b.Fatal(err)
		}
	}
}
