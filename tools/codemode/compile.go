package codemode

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// The script runs as the body of an async arrow function, so that it may
// await at the top level and return a value. The opening sits on the
// script's first line so that line numbers in errors and stacks are the
// script's own; only columns on line 1 are shifted, and syntax errors are
// corrected for that.
const (
	wrapOpen  = "(async () => {"
	wrapClose = "\n})()"
	cellFile  = "cell"
)

// scriptOptions is what a script may set on its first line, as a comment:
// `// @exec yield_time_ms=30000 max_tokens=2000`.
type scriptOptions struct {
	yieldMS   int
	maxTokens int
}

const directive = "// @exec"

// prepare strips a Markdown code fence the model may have wrapped the script
// in and reads the optional directive line. The directive line stays in the
// source (as a comment) so line numbers do not move.
func prepare(input string) (string, scriptOptions, error) {
	src := stripFence(input)
	var opts scriptOptions
	first, _, _ := strings.Cut(src, "\n")
	first = strings.TrimSpace(first)
	if rest, ok := strings.CutPrefix(first, directive); ok {
		for _, field := range strings.Fields(rest) {
			key, val, _ := strings.Cut(field, "=")
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return "", opts, fmt.Errorf("the %s line takes key=number pairs, and %q is not one", directive, field)
			}
			switch key {
			case "yield_time_ms":
				opts.yieldMS = n
			case "max_tokens":
				opts.maxTokens = n
			default:
				return "", opts, fmt.Errorf("the %s line knows yield_time_ms and max_tokens, not %q", directive, key)
			}
		}
	}
	if strings.TrimSpace(src) == "" {
		return "", opts, errors.New("the script is empty: send JavaScript source as the input of exec")
	}
	return src, opts, nil
}

func stripFence(s string) string {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "```") || !strings.HasSuffix(t, "```") || len(t) < 6 {
		return s
	}
	body := strings.TrimSuffix(t, "```")
	_, body, ok := strings.Cut(body, "\n") // drops ```js
	if !ok {
		return s
	}
	return body
}

// compile parses the wrapped script. A syntax error comes back as text the
// model can act on, with the line and column in its own script.
func compile(src string) (*goja.Program, error) {
	wrapped := wrapOpen + src + wrapClose
	ast, err := parser.ParseFile(nil, cellFile, wrapped, 0, parser.WithDisableSourceMaps)
	if err != nil {
		return nil, syntaxError(err, src)
	}
	if len(ast.Body) != 1 {
		// A stray closing brace ended the wrapper early.
		return nil, errors.New("SyntaxError: unbalanced braces: the script closes a block it never opened")
	}
	prog, err := goja.CompileAST(ast, false)
	if err != nil {
		return nil, fmt.Errorf("SyntaxError: %s", strings.TrimPrefix(err.Error(), "SyntaxError: "))
	}
	return prog, nil
}

func syntaxError(err error, src string) error {
	var list parser.ErrorList
	var one *parser.Error
	switch {
	case errors.As(err, &list) && len(list) > 0:
		one = list[0]
	case errors.As(err, &one):
	default:
		return fmt.Errorf("SyntaxError: %v", err)
	}
	line, col := one.Position.Line, one.Position.Column
	if line == 1 {
		col -= len(wrapOpen)
	}
	lines := strings.Count(src, "\n") + 1
	if line > lines { // the error is in the wrapper's closing: the script ended early
		line, col = lines, len(src)-strings.LastIndex(src, "\n")
		return fmt.Errorf("SyntaxError: the script ends before a block, call or string is closed (line %d, column %d): %s", line, col, one.Message)
	}
	if col < 1 {
		col = 1
	}
	return fmt.Errorf("SyntaxError: %s (line %d, column %d)", one.Message, line, col)
}
