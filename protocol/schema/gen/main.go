// Command gen writes the editors' protocol types from the protocol's JSON
// Schema (protocol/schema/deckhand.schema.json): the VS Code extension's
// TypeScript interfaces and the Neovim plugin's LuaLS annotations. Run it
// from anywhere inside the repository (go generate ./protocol/schema).
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/deckhand-dev/deckhand/protocol/schema"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	s, err := schema.Load()
	if err != nil {
		return err
	}
	files, err := s.Files()
	if err != nil {
		return err
	}
	for _, f := range files {
		path := filepath.Join(root, filepath.FromSlash(f.Path))
		if err := os.WriteFile(path, f.Content, 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", f.Path)
	}
	return nil
}

// repoRoot is the nearest directory up from here that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run inside the repository")
		}
		dir = parent
	}
}
