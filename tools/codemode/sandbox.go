package codemode

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// maxTimers caps the timers a cell may have pending at once.
const maxTimers = 1000

// newRuntime makes the cell's interpreter: goja's language and standard
// built-ins and nothing of the host, plus console, text, the timers and
// tools. goja itself offers no require, process, fetch or module loader;
// the one way it reaches the file system, loading the source map a
// `//# sourceMappingURL` comment names, is turned off for eval and Function
// too.
func (c *cell) newRuntime() error {
	rt := goja.New()
	c.rt = rt
	rt.SetParserOptions(parser.WithDisableSourceMaps)
	rt.SetMaxCallStackSize(4096)
	rt.SetPromiseRejectionTracker(c.trackRejection)

	// Keep the originals: the script may overwrite the globals.
	c.stringify, _ = goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("stringify"))
	c.errorCtor = rt.Get("Error").ToObject(rt)

	console := rt.NewObject()
	for _, name := range []string{"log", "info", "warn", "error", "debug"} {
		if err := console.Set(name, c.print("\n")); err != nil {
			return err
		}
	}
	tools := rt.NewObject()
	for _, t := range c.m.tools {
		if err := tools.Set(t.Name, c.toolFunc(t)); err != nil {
			return err
		}
	}
	for name, v := range map[string]any{
		"console":      console,
		"text":         c.print(""),
		"tools":        tools,
		"setTimeout":   c.setTimeout,
		"clearTimeout": c.clearTimeout,
	} {
		if err := rt.Set(name, v); err != nil {
			return err
		}
	}
	if _, err := rt.RunString("Object.freeze(tools); Object.freeze(console);"); err != nil {
		return err
	}
	return c.capBuiltins()
}

// print returns console.log (end "\n") or text (end ""): the arguments as
// text, separated by spaces.
func (c *cell) print(end string) func(goja.FunctionCall) goja.Value {
	return func(fc goja.FunctionCall) goja.Value {
		parts := make([]string, len(fc.Arguments))
		for i, v := range fc.Arguments {
			parts[i] = c.show(v)
		}
		c.out.write(strings.Join(parts, " ") + end)
		return goja.Undefined()
	}
}

// show renders a value the way a person reading the output wants it: a
// string as it is, an error with its stack, anything else as JSON when it
// has a JSON form. A value whose own code throws while it is shown is named
// as such; an interrupt goes on up.
func (c *cell) show(v goja.Value) (text string) {
	if ex := c.rt.Try(func() { text = c.render(v) }); ex != nil {
		return "[a value that threw when shown: " + ex.Value().String() + "]"
	}
	return text
}

func (c *cell) render(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) {
		return "undefined"
	}
	if s, ok := v.Export().(string); ok {
		return s
	}
	if obj, ok := v.(*goja.Object); ok {
		if stack := obj.Get("stack"); stack != nil && !goja.IsUndefined(stack) && c.isError(obj) {
			return c.cleanStack(stack.String())
		}
		if _, isFunc := goja.AssertFunction(v); !isFunc {
			if js, err := c.stringify(goja.Undefined(), v); err == nil && !goja.IsUndefined(js) {
				return js.String()
			} else if err != nil && isUncatchable(err) {
				panic(err)
			}
		}
	}
	return v.String()
}

// cleanStack drops what is ours from a stack: the frame of the wrapper
// around the script and goja's program counters.
func (c *cell) cleanStack(stack string) string {
	wrapper := fmt.Sprintf("at %s:%d:", cellFile, c.wrapLine)
	lines := strings.Split(stack, "\n")
	kept := lines[:0]
	for _, line := range lines {
		if strings.Contains(line, wrapper) {
			continue
		}
		kept = append(kept, programCounter().ReplaceAllString(line, "$1"))
	}
	return strings.TrimRight(strings.Join(kept, "\n"), "\n")
}

// programCounter is goja's "(pc)" after a frame's line and column (compiled
// on first use).
var programCounter = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(:\d+:\d+)\(\d+\)`) })

// trackRejection keeps the promises rejected with no handler, in order, so
// that the report can name the ones still unhandled at the end.
func (c *cell) trackRejection(p *goja.Promise, op goja.PromiseRejectionOperation) {
	switch op {
	case goja.PromiseRejectionReject:
		c.unhandled = append(c.unhandled, p)
	case goja.PromiseRejectionHandle:
		if i := slices.Index(c.unhandled, p); i >= 0 {
			c.unhandled = slices.Delete(c.unhandled, i, i+1)
		}
	}
}

// reportUnhandled prints the rejections nothing handled, except the
// script's own, which is its failure.
func (c *cell) reportUnhandled(main *goja.Promise) {
	for _, p := range c.unhandled {
		if p != main {
			c.out.write("Unhandled promise rejection: " + c.show(p.Result()) + "\n")
		}
	}
	c.unhandled = nil
}

func (c *cell) isError(obj *goja.Object) bool {
	proto := c.errorCtor.Get("prototype")
	for p := obj.Prototype(); p != nil; p = p.Prototype() {
		if p == proto {
			return true
		}
	}
	return false
}

// newError makes an Error with the built-in constructor, whatever the script
// did to the global.
func (c *cell) newError(msg string) goja.Value {
	obj, err := c.rt.New(c.errorCtor, c.rt.ToValue(msg))
	if err != nil {
		return c.rt.ToValue(msg)
	}
	return obj
}

func (c *cell) setTimeout(fc goja.FunctionCall) goja.Value {
	fn, ok := goja.AssertFunction(fc.Argument(0))
	if !ok {
		panic(c.rt.NewTypeError("setTimeout needs a function"))
	}
	if len(c.timers) >= maxTimers {
		panic(c.rt.NewTypeError(fmt.Sprintf("more than %d timers pending", maxTimers)))
	}
	delay := time.Duration(fc.Argument(1).ToFloat() * float64(time.Millisecond))
	delay = max(0, min(delay, 2*c.m.limits.Wall)) // the wall limit acts first
	args := append([]goja.Value(nil), fc.Arguments[min(2, len(fc.Arguments)):]...)
	c.nextTimer++
	id := c.nextTimer
	c.pending++
	c.timers[id] = time.AfterFunc(delay, func() {
		c.post(func() error {
			if _, live := c.timers[id]; !live {
				return nil
			}
			delete(c.timers, id)
			c.pending--
			_, err := fn(goja.Undefined(), args...)
			return err
		})
	})
	return c.rt.ToValue(id)
}

func (c *cell) clearTimeout(fc goja.FunctionCall) goja.Value {
	id := fc.Argument(0).ToInteger()
	if t, ok := c.timers[id]; ok {
		t.Stop()
		delete(c.timers, id)
		c.pending--
	}
	return goja.Undefined()
}
