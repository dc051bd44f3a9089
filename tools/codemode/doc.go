// Package codemode owns deckhand's code mode: the `exec` tool whose input is
// JavaScript, run in an isolated interpreter where the model's native tools
// are async functions on a global `tools` object, and the `wait` tool that
// continues a script which ran past its yield time.
//
// Each script runs as a cell: one goja runtime of its own, on a goroutine of
// its own, with an event loop that settles the promises of nested tool calls
// and timers. Nothing of the host is reachable from a cell except through
// `tools`, `console`, `text` and the timers: there is no require, process,
// fetch, module loader, file system or environment, and no Go value is
// exposed by reflection.
//
// A nested call leaves the cell through a Dispatcher, which the engine
// implements so that every call goes through the same permission, review,
// confinement, undo and reporting as a direct one. The package knows
// nothing of those: it hands over a name and arguments and gets text back.
//
// Each cell is bounded. A watchdog interrupts it when the context is
// cancelled, when it has spent more than Limits.CPU running JavaScript or
// lived longer than Limits.Wall, and when the heap has grown by more than
// Limits.Memory since it started (see Limits for what that bound does and
// does not guarantee). Built-ins that build a large string or array in a
// single call are capped, since an interrupt only lands between
// JavaScript instructions.
//
// A Manager holds the live cells of one session, at most Limits.Cells at a
// time, and kills them all on KillAll and Close. Definitions builds the
// `exec` custom tool (its grammar, and a description generated from the
// nested tools' schemas) and the `wait` function, in the `functions`
// namespace the request's additional_tools item carries.
//
// The package imports no other deckhand package.
package codemode
