package sandbox

import "strings"

// readOnlyRule says which calls of a command only read: ok, when set,
// looks at the arguments; nil accepts any.
type readOnlyRule struct {
	ok func(args []string) bool
	// globs lets unquoted *, ? and [ through: safe only for commands that
	// no file name can turn into a writing option.
	globs bool
}

// readOnlyCommands is the known read-only list the untrusted policy runs
// without asking (README "Approval policies"). Each entry is a command that
// cannot change a file, with the arguments that would let it write or run
// another program refused.
var readOnlyCommands = map[string]readOnlyRule{
	"ls": {globs: true}, "cat": {globs: true}, "head": {globs: true}, "tail": {globs: true},
	"wc": {globs: true}, "pwd": {}, "echo": {}, "true": {}, "false": {},
	"grep": {globs: true}, "egrep": {globs: true}, "fgrep": {globs: true},
	"stat": {globs: true}, "du": {globs: true}, "df": {}, "which": {}, "whoami": {}, "id": {},
	"uname": {}, "basename": {}, "dirname": {}, "realpath": {globs: true}, "readlink": {globs: true},
	"cut": {}, "tr": {}, "nl": {}, "diff": {}, "cmp": {},
	"rg":   {ok: without("--pre")},
	"find": {ok: without("-exec", "-execdir", "-ok", "-okdir", "-delete", "-fls", "-fprint", "-fprint0", "-fprintf")},
	"tree": {ok: without("-o", "-R")},
	"file": {ok: without("-C", "--compile")},
	"date": {ok: without("-s", "--set")},
	"sort": {ok: sortReads},
	"uniq": {ok: func(args []string) bool { return positional(args) <= 1 }},
	"git":  {ok: gitReads},
}

// gitSubcommands are the git commands that only read; any option that
// writes a file or runs another program is refused by gitReads.
var gitSubcommands = map[string]bool{
	"status": true, "log": true, "diff": true, "show": true, "rev-parse": true,
	"ls-files": true, "blame": true, "grep": true, "branch": true,
}

// ReadOnlyCommand reports whether a shell command is on the known
// read-only list: one or more such commands joined by |, &&, || or ;, with
// no redirection, substitution, variable, subshell or background job.
func ReadOnlyCommand(command string) bool {
	segments, ok := splitSimple(command)
	if !ok || len(segments) == 0 {
		return false
	}
	for _, seg := range segments {
		if len(seg.words) == 0 {
			return false
		}
		rule, known := readOnlyCommands[seg.words[0]]
		if !known || (seg.globbed && !rule.globs) {
			return false
		}
		if rule.ok != nil && !rule.ok(seg.words[1:]) {
			return false
		}
	}
	return true
}

// segment is one simple command of a list.
type segment struct {
	words   []string
	globbed bool // an unquoted glob character appears
}

// splitSimple splits a command line into simple commands at |, ||, && and
// ;, with single and double quotes removed. ok is false for anything this
// small reading cannot vouch for: redirections, $, backquotes, escapes,
// parentheses, braces, comments, a lone &, a newline.
func splitSimple(line string) (segs []segment, ok bool) {
	var cur segment
	var word strings.Builder
	inWord := false
	endWord := func() {
		if inWord {
			cur.words = append(cur.words, word.String())
			word.Reset()
			inWord = false
		}
	}
	endSeg := func() bool {
		endWord()
		if len(cur.words) == 0 {
			return false
		}
		segs = append(segs, cur)
		cur = segment{}
		return true
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch c {
		case ' ', '\t':
			endWord()
		case '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, false
			}
			word.WriteString(line[i+1 : i+1+j])
			inWord, i = true, i+1+j
		case '"':
			j := strings.IndexByte(line[i+1:], '"')
			if j < 0 {
				return nil, false
			}
			quoted := line[i+1 : i+1+j]
			if strings.ContainsAny(quoted, "$`\\!") {
				return nil, false
			}
			word.WriteString(quoted)
			inWord, i = true, i+1+j
		case '|', ';':
			if c == '|' && i+1 < len(line) && line[i+1] == '|' {
				i++
			}
			if !endSeg() {
				return nil, false
			}
		case '&':
			if i+1 >= len(line) || line[i+1] != '&' {
				return nil, false // a background job
			}
			i++
			if !endSeg() {
				return nil, false
			}
		case '>', '<', '$', '`', '\\', '(', ')', '{', '}', '#', '\n', '\r', '!':
			return nil, false
		case '*', '?', '[':
			cur.globbed = true
			word.WriteByte(c)
			inWord = true
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	if !endSeg() {
		return nil, false
	}
	return segs, true
}

// without accepts arguments none of which is one of the options, alone or
// with an attached value (-o=x, --pre=x, -ofile).
func without(options ...string) func([]string) bool {
	return func(args []string) bool {
		for _, a := range args {
			for _, o := range options {
				if a == o || strings.HasPrefix(a, o+"=") || (len(o) == 2 && o[0] == '-' && strings.HasPrefix(a, o)) {
					return false
				}
			}
		}
		return true
	}
}

// sortReads refuses sort's output file (-o, also inside a cluster such as
// -ro) and its compression program.
func sortReads(args []string) bool {
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "--output"), strings.HasPrefix(a, "--compress-program"):
			return false
		case strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.ContainsRune(a, 'o'):
			return false
		}
	}
	return true
}

// positional counts the arguments that are not options.
func positional(args []string) int {
	n := 0
	for _, a := range args {
		if !strings.HasPrefix(a, "-") || a == "-" {
			n++
		}
	}
	return n
}

// gitReads accepts a read-only subcommand right after git (no -c or -C
// before it), without an option that writes a file, runs an external
// diff or a pager, and for branch only listing options.
func gitReads(args []string) bool {
	if len(args) == 0 || !gitSubcommands[args[0]] {
		return false
	}
	rest := args[1:]
	if args[0] == "grep" && !without("-O", "--open-files-in-pager")(rest) {
		return false
	}
	if !without("--output", "--ext-diff")(rest) {
		return false
	}
	if args[0] == "branch" {
		for _, a := range rest {
			switch a {
			case "-a", "--all", "-r", "--remotes", "-v", "-vv", "--verbose", "--list", "--show-current", "--no-color", "--color":
			default:
				return false
			}
		}
	}
	return true
}
