package codemode

import (
	"context"
	"encoding/json"
	"time"
)

// Call is one nested tool call a script makes.
type Call struct {
	// ID is unique within the Manager: the cell's id, a dot, and the call's
	// number within the cell ("3.2"), in the order the script made them.
	ID string
	// Parent is the model's id of the exec call whose script made the call
	// (reported to the editor as parentCallId).
	Parent string
	// Name is the nested tool's name, as in Tool.Name.
	Name string
	// Args holds the JSON object the script passed, for a function tool.
	Args json.RawMessage
	// Input holds the text the script passed, for a freeform tool.
	Input string
}

// Result is what a nested call gives back. Output resolves the script's
// promise; with IsError set the promise is rejected with an Error whose
// message is Output, so that a script can catch it.
type Result struct {
	Output  string
	IsError bool
	// ImageURL, a data: URL (view_image), goes to the model with the
	// cell's next report; the script sees Output.
	ImageURL string
}

// Dispatcher runs nested calls. The engine implements it so that a nested
// call is reviewed, confined, recorded for undo and reported exactly like a
// direct one. Call is called from several goroutines at once when a script
// runs calls in parallel. A Go error stops the whole cell (it means the turn
// failed, such as a cancelled context); a failure the model can fix belongs
// in a Result with IsError.
type Dispatcher interface {
	Call(ctx context.Context, call Call) (Result, error)
}

// DispatcherFunc adapts a function to the Dispatcher interface.
type DispatcherFunc func(ctx context.Context, call Call) (Result, error)

// Call calls f.
func (f DispatcherFunc) Call(ctx context.Context, call Call) (Result, error) { return f(ctx, call) }

// Tool describes a native tool offered inside `exec`.
type Tool struct {
	Name        string
	Description string
	// Parameters is the JSON schema of a function tool's arguments.
	Parameters map[string]any
	// Freeform marks a tool whose input is plain text (apply_patch): the
	// script passes a string, not an object.
	Freeform bool
}

// Limits bound each cell. The zero value of a field takes its default.
type Limits struct {
	// Cells is how many cells may be live at once in one Manager.
	Cells int
	// CPU is the time a cell may spend running JavaScript, not counting the
	// time it waits on nested calls and timers.
	CPU time.Duration
	// Wall is how long a cell may live, waiting included.
	Wall time.Duration
	// Memory bounds the growth of the Go heap while a cell runs JavaScript.
	// A watchdog samples the heap every Tick; when it has grown by more
	// than Memory since the cell started, a forced collection confirms it
	// (at most one every 250 ms per Manager) and the cell is interrupted.
	// What this guarantees: a cell that keeps allocating is stopped within
	// about one Tick of crossing the bound, plus one JavaScript instruction.
	// What it does not: the heap is the process's, so other work's growth
	// counts too, and a single built-in call is not interruptible; the
	// built-ins that can build a large value in one call are capped at
	// MaxString characters and MaxArray elements instead.
	Memory uint64
	// MaxString caps the length of a string that repeat, padStart, padEnd,
	// join, concat, replace and replaceAll may build in one call.
	MaxString int
	// MaxArray caps the length of an array or typed array made in one call
	// (new Array(n), fill, Array.from, ArrayBuffer and typed arrays).
	MaxArray int
	// Output caps what a cell buffers between two reads; the middle of
	// longer output is dropped.
	Output int
	// Parallel caps the nested calls a cell runs at once; further calls wait
	// for a free slot.
	Parallel int
	// Tick is the watchdog's period.
	Tick time.Duration
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.Cells, 4)
	def(&l.MaxString, 32<<20)
	def(&l.MaxArray, 8<<20)
	def(&l.Output, 1<<20)
	def(&l.Parallel, 8)
	if l.CPU <= 0 {
		l.CPU = 60 * time.Second
	}
	if l.Wall <= 0 {
		l.Wall = 30 * time.Minute
	}
	if l.Memory == 0 {
		l.Memory = 512 << 20
	}
	if l.Tick <= 0 {
		l.Tick = 10 * time.Millisecond
	}
	return l
}
