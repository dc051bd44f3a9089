package codemode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// Defaults the model may override per call.
const (
	DefaultYield     = 10 * time.Second
	MaxYield         = 5 * time.Minute
	DefaultMaxTokens = 10000
)

// Manager holds the live cells of one session. Its methods are safe for
// concurrent use.
type Manager struct {
	dispatcher Dispatcher
	tools      []Tool
	limits     Limits
	caps       *goja.Program
	heap       heapProbe

	ctx    context.Context // parent of every cell; Close cancels it
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup // one per cell goroutine

	mu     sync.Mutex
	cells  map[string]*cell
	next   int
	closed bool
}

// NewManager returns a Manager whose scripts reach the given tools through
// d (exec and wait themselves are left out).
func NewManager(d Dispatcher, nested []Tool, limits Limits) *Manager {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &Manager{
		dispatcher: d,
		tools:      nestable(nested),
		limits:     limits.withDefaults(),
		caps:       compileCaps(),
		ctx:        ctx,
		cancel:     cancel,
		cells:      map[string]*cell{},
	}
}

// Outcome is the answer to an exec or wait call.
type Outcome struct {
	// Text goes back to the model as the call's output.
	Text string
	// CellID names a cell still running, for wait; empty once it ended.
	CellID string
	// Failed reports a script that threw, was stopped, or could not start.
	Failed bool
	// Images are the data: URLs nested calls returned since the last
	// report, to go to the model after Text.
	Images []string
}

// Exec runs a script as a new cell until it finishes or its yield time
// passes. callID is the model's id for this exec call: every nested call
// the cell makes carries it as its Parent, even after the exec call
// returned. The error is for the turn itself: ctx was cancelled (the cell is
// then killed), a nested call failed with a Go error, or the Manager is
// closed. Everything the model can fix comes back as a failed Outcome.
func (m *Manager) Exec(ctx context.Context, callID, input string) (Outcome, error) {
	src, opts, err := prepare(input)
	if err != nil {
		return Outcome{Text: err.Error(), Failed: true}, nil
	}
	prog, err := compile(src)
	if err != nil {
		return Outcome{Text: err.Error(), Failed: true}, nil
	}
	c, err := m.start(prog, callID, strings.Count(src, "\n")+2)
	if err != nil {
		var full *tooManyCells
		if errors.As(err, &full) {
			return Outcome{Text: err.Error(), Failed: true}, nil
		}
		return Outcome{}, err
	}
	return m.await(ctx, c, yieldOf(float64(opts.yieldMS), opts.yieldMS > 0), tokensOf(float64(opts.maxTokens), opts.maxTokens > 0))
}

type tooManyCells struct{ ids []string }

func (e *tooManyCells) Error() string {
	return fmt.Sprintf("%d scripts are still running (cells %s): wait on one until it ends, or stop it with terminate: true, before starting another",
		len(e.ids), strings.Join(e.ids, ", "))
}

func (m *Manager) start(prog *goja.Program, parent string, wrapLine int) (*cell, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if len(m.cells) >= m.limits.Cells {
		return nil, &tooManyCells{ids: m.idsLocked()}
	}
	m.next++
	ctx, kill := context.WithCancelCause(m.ctx)
	c := &cell{
		id:       strconv.Itoa(m.next),
		parent:   parent,
		m:        m,
		ctx:      ctx,
		kill:     kill,
		out:      outputBuffer{limit: m.limits.Output},
		started:  time.Now(),
		heap0:    readHeap(),
		wrapLine: wrapLine,
		timers:   map[int64]*time.Timer{},
		wake:     make(chan struct{}, 1),
		slots:    make(chan struct{}, m.limits.Parallel),
		done:     make(chan struct{}),
	}
	if err := c.newRuntime(); err != nil {
		kill(nil)
		return nil, fmt.Errorf("code mode: set up a cell: %w", err)
	}
	m.cells[c.id] = c
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		c.run(prog)
	}()
	return c, nil
}

func (m *Manager) idsLocked() []string {
	ids := make([]string, 0, len(m.cells))
	for id := range m.cells {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	return ids
}

// WaitArgs are the arguments of the wait tool.
type WaitArgs struct {
	CellID      string   `json:"cell_id"`
	YieldTimeMS *float64 `json:"yield_time_ms,omitempty"`
	MaxTokens   *float64 `json:"max_tokens,omitempty"`
	Terminate   bool     `json:"terminate,omitempty"`
}

// Wait continues a cell that yielded: it returns the output printed since
// the last exec or wait on it, once the script ends or the yield time
// passes; with Terminate it stops the script first. Errors are as for Exec.
func (m *Manager) Wait(ctx context.Context, args WaitArgs) (Outcome, error) {
	m.mu.Lock()
	c, ok := m.cells[args.CellID]
	ids := m.idsLocked()
	m.mu.Unlock()
	if !ok {
		text := fmt.Sprintf("no script is running as cell %q", args.CellID)
		if len(ids) > 0 {
			text += "; the running cells are " + strings.Join(ids, ", ")
		}
		return Outcome{Text: text, Failed: true}, nil
	}
	if !c.waiter.CompareAndSwap(false, true) {
		return Outcome{Text: fmt.Sprintf("another wait is already in progress on cell %s", c.id), Failed: true}, nil
	}
	defer c.waiter.Store(false)
	yield := yieldOf(deref(args.YieldTimeMS), args.YieldTimeMS != nil)
	tokens := tokensOf(deref(args.MaxTokens), args.MaxTokens != nil)
	if args.Terminate {
		c.stop(ErrTerminated)
		yield = MaxYield
	}
	return m.await(ctx, c, yield, tokens)
}

// DecodeWaitArgs reads wait's arguments as the model sends them; a cell id
// given as a number is taken as its text.
func DecodeWaitArgs(raw json.RawMessage) (WaitArgs, error) {
	var args struct {
		WaitArgs
		CellID any `json:"cell_id"`
	}
	if err := json.Unmarshal(raw, &args); err != nil {
		return WaitArgs{}, fmt.Errorf("wait takes a JSON object such as {\"cell_id\": \"1\"}: %w", err)
	}
	w := args.WaitArgs
	switch id := args.CellID.(type) {
	case string:
		w.CellID = id
	case float64:
		w.CellID = strconv.FormatFloat(id, 'f', -1, 64)
	case nil:
		return WaitArgs{}, errors.New("wait needs cell_id: the id an exec call returned for a script still running")
	default:
		return WaitArgs{}, fmt.Errorf("cell_id must be a string such as \"1\", not %v", id)
	}
	return w, nil
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func yieldOf(ms float64, set bool) time.Duration {
	if !set {
		return DefaultYield
	}
	return max(0, min(time.Duration(ms*float64(time.Millisecond)), MaxYield))
}

func tokensOf(n float64, set bool) int {
	if !set || n <= 0 {
		return DefaultMaxTokens
	}
	return int(n)
}

// await waits for c to end, for yield to pass, or for ctx, and reports.
func (m *Manager) await(ctx context.Context, c *cell, yield time.Duration, maxTokens int) (Outcome, error) {
	timer := time.NewTimer(yield)
	defer timer.Stop()
	select {
	case <-c.done:
	case <-timer.C:
		return Outcome{Text: c.report(maxTokens, false), CellID: c.id, Images: c.out.takeImages()}, nil
	case <-ctx.Done():
		c.stop(context.Cause(ctx))
		c.settle()
		m.forget(c)
		return Outcome{}, ctx.Err()
	}
	m.forget(c)
	var script *ScriptError
	if c.err != nil && !errors.As(c.err, &script) && !isLimit(c.err) && !errors.Is(c.err, ErrTerminated) {
		// Not the script's doing: a nested call's Go error, or the
		// Manager closing.
		return Outcome{}, c.err
	}
	return Outcome{Text: c.report(maxTokens, true), Failed: c.err != nil, Images: c.out.takeImages()}, nil
}

func isLimit(err error) bool {
	return errors.Is(err, ErrCPU) || errors.Is(err, ErrWall) || errors.Is(err, ErrMemory)
}

func (m *Manager) forget(c *cell) {
	m.mu.Lock()
	if m.cells[c.id] == c {
		delete(m.cells, c.id)
	}
	m.mu.Unlock()
}

// report is the text the model gets: a status line, then the output since
// the last report and the return value, cut to maxTokens.
func (c *cell) report(maxTokens int, ended bool) string {
	elapsed := time.Since(c.started).Seconds()
	var head string
	switch {
	case !ended:
		head = fmt.Sprintf("Script still running as cell %s after %.1f s. Call wait with cell_id %q for more output, or with terminate: true to stop it.", c.id, elapsed, c.id)
	case errors.Is(c.err, ErrTerminated):
		head = fmt.Sprintf("Script in cell %s terminated after %.1f s.", c.id, elapsed)
	case c.err != nil:
		head = fmt.Sprintf("Script in cell %s failed after %.1f s:\n%s", c.id, elapsed, c.err)
	default:
		head = fmt.Sprintf("Script in cell %s finished in %.1f s.", c.id, elapsed)
	}
	var body strings.Builder
	if out := c.out.take(); out != "" {
		body.WriteString("Output:\n")
		body.WriteString(strings.TrimSuffix(out, "\n"))
	} else if ended && c.result == "" {
		body.WriteString("(no output)")
	}
	if ended && c.result != "" {
		if body.Len() > 0 {
			body.WriteString("\n")
		}
		body.WriteString("Return value:\n")
		body.WriteString(c.result)
	}
	if body.Len() == 0 {
		return head
	}
	return head + "\n" + truncate(body.String(), maxTokens)
}

// KillAll stops every live cell with reason (a cancelled turn) and waits
// for them to end, at most KillGrace; their output is dropped.
func (m *Manager) KillAll(reason error) {
	m.mu.Lock()
	cells := make([]*cell, 0, len(m.cells))
	for _, c := range m.cells {
		cells = append(cells, c)
	}
	clear(m.cells)
	m.mu.Unlock()
	for _, c := range cells {
		c.stop(reason)
	}
	for _, c := range cells {
		c.settle()
	}
}

// KillGrace is how long a killed cell may take to end before the caller
// goes on without it: a nested call that ignores its context keeps only its
// own goroutine, which Close still waits for.
const KillGrace = time.Second

func (c *cell) settle() {
	t := time.NewTimer(KillGrace)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
	}
}

// Close kills every cell, refuses new ones and waits for every goroutine
// the Manager started.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.cancel(ErrClosed)
	m.KillAll(ErrClosed)
	m.wg.Wait()
}

// Live lists the ids of the cells not yet reported as ended.
func (m *Manager) Live() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.idsLocked()
}
