// Command platforms checks that deckhand compiles for every release target
// without compiling it: for each GOOS/GOARCH named on the command line it
// type-checks cmd/deckhand and everything it imports from source, as that
// platform's build would select the files (CGO_ENABLED=0, as `make cross`
// builds the releases), and compiles for real only deckhand's own packages
// that hold assembly, which no type check reads.
//
// What breaks on another platform is deckhand's own platform split: a file
// without a build constraint that calls unix.Uname, a function defined only
// in a _unix.go file. A type check from source finds both in seconds, where
// compiling the whole tree again costs about 90 CPU-seconds a target on a
// cold cache; `make cross` still builds the release binaries themselves.
//
//	go run ./scripts/platforms linux/amd64 windows/amd64 ...
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/packages"
)

const module = "github.com/deckhand-dev/deckhand"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: platforms GOOS/GOARCH...")
		os.Exit(2)
	}
	failed := 0
	for _, target := range os.Args[1:] {
		goos, goarch, ok := strings.Cut(target, "/")
		if !ok || goos == "" || goarch == "" {
			fmt.Fprintf(os.Stderr, "platforms: %q is not GOOS/GOARCH\n", target)
			os.Exit(2)
		}
		n, err := check(goos, goarch)
		if err != nil {
			fmt.Fprintf(os.Stderr, "platforms: %s: %v\n", target, err)
			failed++
			continue
		}
		if n > 0 {
			fmt.Fprintf(os.Stderr, "platforms: %s: %d errors\n", target, n)
			failed++
			continue
		}
		fmt.Printf("platforms: %s type-checks\n", target)
	}
	if failed > 0 {
		os.Exit(1)
	}
}

// check type-checks cmd/deckhand for one target and compiles the module's
// packages that have assembly for it; it returns how many errors it printed.
func check(goos, goarch string) (int, error) {
	env := append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=")
	cfg := &packages.Config{
		// Syntax and types of every dependency: go/types checks them all
		// from source, so nothing is compiled.
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedImports | packages.NeedDeps |
			packages.NeedSyntax | packages.NeedTypes,
		Env: env,
	}
	roots, err := packages.Load(cfg, "./cmd/deckhand")
	if err != nil {
		return 0, err
	}
	errs := packages.PrintErrors(roots)
	var asm []string
	packages.Visit(roots, nil, func(p *packages.Package) {
		if p.PkgPath != module && !strings.HasPrefix(p.PkgPath, module+"/") {
			return
		}
		for _, f := range p.OtherFiles {
			if filepath.Ext(f) == ".s" {
				asm = append(asm, p.PkgPath)
				return
			}
		}
	})
	if len(asm) > 0 {
		build := exec.Command("go", append([]string{"build"}, asm...)...)
		build.Env = env
		if out, err := build.CombinedOutput(); err != nil {
			os.Stderr.Write(out)
			errs++
		} else {
			fmt.Printf("platforms: %s/%s: compiled %s (assembly)\n", goos, goarch, strings.Join(asm, " "))
		}
	}
	return errs, nil
}
