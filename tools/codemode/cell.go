package codemode

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
)

// Why a cell was stopped before its script finished.
var (
	ErrCPU        = errors.New("the script ran JavaScript longer than its CPU budget allows")
	ErrWall       = errors.New("the script lived longer than a cell may")
	ErrMemory     = errors.New("the script used more memory than a cell may")
	ErrTerminated = errors.New("the script was terminated")
	ErrClosed     = errors.New("code mode closed")
)

// cell is one script's run: its runtime, its event loop and its output.
// The runtime is touched only by the loop goroutine; nested calls and
// timers hand their results to it through post.
type cell struct {
	id      string
	parent  string // the exec call that started the cell
	m       *Manager
	rt      *goja.Runtime
	ctx     context.Context
	kill    context.CancelCauseFunc
	out     outputBuffer
	started time.Time
	heap0   uint64

	stringify goja.Callable
	errorCtor *goja.Object

	// Owned by the loop goroutine.
	pending   int // nested calls and timers not yet settled
	calls     int
	unhandled []*goja.Promise // rejected with no handler yet
	wrapLine  int             // the line of the wrapper's closing, in stacks
	timers    map[int64]*time.Timer
	nextTimer int64

	jobsMu sync.Mutex
	jobs   []func() error
	wake   chan struct{}

	slots   chan struct{} // bounds nested calls in flight
	callers sync.WaitGroup

	running  atomic.Bool
	runSince atomic.Int64 // unix nanoseconds when the loop last entered JavaScript
	cpu      atomic.Int64 // nanoseconds spent in JavaScript before that

	done   chan struct{} // closed when the loop and every goroutine of the cell ended
	result string        // the script's return value, shown; set before done
	err    error         // why it failed; set before done
	waiter atomic.Bool   // a Wait is in progress on this cell
}

// post hands a job to the loop goroutine; it never blocks.
func (c *cell) post(job func() error) {
	c.jobsMu.Lock()
	c.jobs = append(c.jobs, job)
	c.jobsMu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// enter and leave bracket the time the loop spends in JavaScript.
func (c *cell) enter() {
	c.runSince.Store(time.Now().UnixNano())
	c.running.Store(true)
}

func (c *cell) leave() {
	c.running.Store(false)
	c.cpu.Add(time.Now().UnixNano() - c.runSince.Load())
}

func (c *cell) cpuUsed() time.Duration {
	used := c.cpu.Load()
	if c.running.Load() {
		used += time.Now().UnixNano() - c.runSince.Load()
	}
	return time.Duration(used)
}

// stop ends the cell for reason: its context is cancelled (which ends the
// nested calls) and the script is interrupted wherever it is.
func (c *cell) stop(reason error) {
	c.kill(reason)
	c.rt.Interrupt(reason)
}

// run is the cell's goroutine: the script's first run, then the event loop
// until the script's promise is settled and nothing is pending.
func (c *cell) run(prog *goja.Program) {
	watchdogDone := make(chan struct{})
	loopDone := make(chan struct{})
	defer func() {
		if r := recover(); r != nil {
			if err, ok := r.(error); ok && isUncatchable(err) {
				c.err = c.failure(err)
			} else {
				c.err = &ScriptError{Text: fmt.Sprintf("internal error in the script runner: %v", r)}
			}
		}
		close(loopDone)
		c.kill(ErrClosed) // ends nested calls still running
		for _, t := range c.timers {
			t.Stop()
		}
		c.callers.Wait()
		<-watchdogDone
		close(c.done)
	}()
	go func() {
		defer close(watchdogDone)
		c.watchdog(loopDone)
	}()

	c.enter()
	val, err := c.rt.RunProgram(prog)
	c.leave()
	if err != nil {
		c.err = c.failure(err)
		return
	}
	promise, ok := val.Export().(*goja.Promise)
	if !ok {
		c.err = &ScriptError{Text: "internal error: the script did not start as an async function"}
		return
	}
	for promise.State() == goja.PromiseStatePending || c.pending > 0 {
		if c.pending == 0 {
			c.err = &ScriptError{Text: "the script awaits a promise that nothing is left to settle (no tool call or timer is pending)"}
			return
		}
		select {
		case <-c.ctx.Done():
			c.err = context.Cause(c.ctx)
			return
		case <-c.wake:
		}
		c.jobsMu.Lock()
		jobs := c.jobs
		c.jobs = nil
		c.jobsMu.Unlock()
		for _, job := range jobs {
			c.enter()
			err := job()
			c.leave()
			if err != nil {
				c.err = c.failure(err)
				return
			}
		}
	}
	// Showing values runs script code (toJSON, toString, getters): it is
	// charged and bounded like the rest.
	c.enter()
	defer c.leave()
	c.reportUnhandled(promise)
	if promise.State() == goja.PromiseStateRejected {
		c.err = &ScriptError{Text: c.show(promise.Result())}
		return
	}
	if v := promise.Result(); v != nil && !goja.IsUndefined(v) {
		c.result = c.show(v)
	}
}

func isUncatchable(err error) bool {
	var intr *goja.InterruptedError
	var so *goja.StackOverflowError
	return errors.As(err, &intr) || errors.As(err, &so)
}

// ScriptError is an exception the script did not catch.
type ScriptError struct{ Text string }

func (e *ScriptError) Error() string { return e.Text }

// failure turns an error out of goja into the cell's outcome: the reason of
// an interrupt, or the exception with its stack.
func (c *cell) failure(err error) error {
	var intr *goja.InterruptedError
	if errors.As(err, &intr) {
		if reason, ok := intr.Value().(error); ok {
			return reason
		}
	}
	if cause := context.Cause(c.ctx); cause != nil {
		return cause
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return &ScriptError{Text: c.show(ex.Value())}
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return &ScriptError{Text: "RangeError: maximum call stack size exceeded"}
	}
	return &ScriptError{Text: err.Error()}
}

// watchdog stops the cell when its context ends or it passes a limit.
func (c *cell) watchdog(loopDone <-chan struct{}) {
	limits := c.m.limits
	tick := time.NewTicker(limits.Tick)
	defer tick.Stop()
	for {
		select {
		case <-loopDone:
			return
		case <-c.ctx.Done():
			c.rt.Interrupt(context.Cause(c.ctx))
			return
		case now := <-tick.C:
			switch {
			case now.Sub(c.started) > limits.Wall:
				c.stop(ErrWall)
			case c.cpuUsed() > limits.CPU:
				c.stop(ErrCPU)
			case c.running.Load() && c.m.heap.over(c.heap0, limits.Memory):
				c.stop(ErrMemory)
			}
		}
	}
}

// toolFunc is tools.<name>: it starts the nested call on a goroutine of its
// own and returns a promise the loop settles with the call's result.
func (c *cell) toolFunc(t Tool) func(goja.FunctionCall) goja.Value {
	return func(fc goja.FunctionCall) goja.Value {
		call := Call{Name: t.Name, Parent: c.parent}
		arg := fc.Argument(0)
		if t.Freeform {
			s, ok := freeformInput(arg)
			if !ok {
				panic(c.rt.NewTypeError(fmt.Sprintf("tools.%s takes its input as one string", t.Name)))
			}
			call.Input = s
		} else {
			if goja.IsUndefined(arg) || goja.IsNull(arg) {
				arg = c.rt.NewObject()
			}
			if _, isObj := arg.(*goja.Object); !isObj {
				panic(c.rt.NewTypeError(fmt.Sprintf("tools.%s takes one object of arguments, such as {name: value}", t.Name)))
			}
			js, err := c.stringify(goja.Undefined(), arg)
			if err != nil {
				panic(err)
			}
			call.Args = []byte(js.String())
		}
		c.calls++
		call.ID = fmt.Sprintf("%s.%d", c.id, c.calls)
		promise, resolve, reject := c.rt.NewPromise()
		c.pending++
		c.callers.Add(1)
		go func() {
			defer c.callers.Done()
			res, err := c.dispatch(call)
			c.post(func() error {
				c.pending--
				if err != nil {
					c.kill(err)
					return err
				}
				if res.ImageURL != "" {
					c.out.image(res.ImageURL)
				}
				if res.IsError {
					e := c.newError(res.Output)
					if obj, ok := e.(*goja.Object); ok {
						_ = obj.Set("tool", t.Name)
					}
					return reject(e)
				}
				return resolve(res.Output)
			})
		}()
		return c.rt.ToValue(promise)
	}
}

// freeformInput reads a freeform tool's input: a string, or an object whose
// one property is a string ({input: "..."}), a form a model may reach for.
func freeformInput(arg goja.Value) (string, bool) {
	switch v := arg.Export().(type) {
	case string:
		return v, true
	case map[string]any:
		if len(v) == 1 {
			for _, field := range v {
				s, ok := field.(string)
				return s, ok
			}
		}
	}
	return "", false
}

// dispatch runs one nested call when a slot is free, turning a panic in the
// dispatcher into an error for this cell alone.
func (c *cell) dispatch(call Call) (res Result, err error) {
	select {
	case c.slots <- struct{}{}:
		defer func() { <-c.slots }()
	case <-c.ctx.Done():
		return Result{}, context.Cause(c.ctx)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("tool %s: panic: %v", call.Name, r)
		}
	}()
	res, err = c.m.dispatcher.Call(c.ctx, call)
	if err != nil {
		err = fmt.Errorf("tool %s: %w", call.Name, err)
	}
	return res, err
}
