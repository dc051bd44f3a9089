package sandbox

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestReadOnlyCommand(t *testing.T) {
	cases := map[string]bool{
		"ls":                             true,
		"ls -la src":                     true,
		"ls *.go":                        true,
		"cat go.mod | head -5":           true,
		"git status && git diff --stat":  true,
		"git log --oneline -n 5; pwd":    true,
		"grep -rn 'TODO' . | wc -l":      true,
		`grep -n "a b" main.go`:          true,
		"rg -n foo || true":              true,
		"find . -name '*.go'":            true,
		"sort names.txt | uniq -c":       true,
		"git branch -a":                  true,
		"git branch new-branch":          false,
		"git -c core.pager=sh log":       false,
		"git commit -m x":                false,
		"git diff --output=x":            false,
		"git diff --ext-diff":            false,
		"git grep -O foo":                false,
		"find . -delete":                 false,
		"find . -exec rm {} ;":           false,
		"find . -fprint out":             false,
		"find *":                         false, // a file named -delete would be an option
		"rg --pre=./x foo":               false,
		"sort -o out in":                 false,
		"sort -ro out in":                false,
		"sort --output=out in":           false,
		"uniq in out":                    false,
		"tree -o out":                    false,
		"date -s 2020-01-01":             false,
		"file -C -m magic":               false,
		"echo hi > file":                 false,
		"cat < /etc/passwd":              false,
		"echo $HOME":                     false,
		`echo "$(id)"`:                   false,
		"echo `id`":                      false,
		"ls & rm -rf x":                  false,
		"ls\nrm x":                       false,
		"(ls)":                           false,
		"ls; rm x":                       false,
		"rm -rf /":                       false,
		"touch x":                        false,
		"python3 -c 'print(1)'":          false,
		"":                               false,
		"ls |":                           false,
		"| ls":                           false,
		"ls 'unterminated":               false,
		"cat x # comment":                false,
		"echo 'a;b' 'c > d'":             true,
		`echo "unterminated`:             false,
		"ls && ":                         false,
		"ls \\\n rm":                     false,
		"LANG=C ls":                      false,
		"xargs rm < list":                false,
		"git":                            false,
		"git stash":                      false,
		"head -n 3 a b && tail -f log":   true,
		"stat -c %s file":                true,
		"date +%Y":                       true,
		"which go && uname -a && id -u":  true,
		"df -h; du -sh .":                true,
		"readlink -f x; realpath y":      true,
		"cut -d: -f1 /etc/passwd | sort": true,
	}
	for cmd, want := range cases {
		if got := ReadOnlyCommand(cmd); got != want {
			t.Errorf("ReadOnlyCommand(%q) = %v, want %v", cmd, got, want)
		}
	}
}

// TestReadOnlyListIsDocumented: the README names exactly the commands of
// the list, and git's subcommands.
func TestReadOnlyListIsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "which runs in the sandbox without asking: `")
	names, rest, ok2 := strings.Cut(after, "`")
	if !ok || !ok2 {
		t.Fatal("README has no read-only list")
	}
	documented := strings.Fields(names)
	var listed []string
	for name := range readOnlyCommands {
		if name != "git" {
			listed = append(listed, name)
		}
	}
	slices.Sort(documented)
	slices.Sort(listed)
	if !slices.Equal(documented, listed) {
		t.Errorf("README lists %v, the code %v", documented, listed)
	}
	_, gitPart, _ := strings.Cut(rest, "`git ")
	gitNames, _, _ := strings.Cut(gitPart, "`")
	var subs []string
	for s := range gitSubcommands {
		subs = append(subs, s)
	}
	doc := strings.Split(gitNames, "/")
	slices.Sort(doc)
	slices.Sort(subs)
	if !slices.Equal(doc, subs) {
		t.Errorf("README lists git %v, the code %v", doc, subs)
	}
}
