// Package tools owns the tools deckhand's model uses on the workspace and the
// confinement of every path they touch to the workspace root: deckhand's
// own seven (read, list, glob, grep, write, edit and bash), and the ones the
// Codex models were trained on (apply_patch, whose format lives in
// tools/patch; exec_command and write_stdin, commands that outlive a call;
// view_image).
//
// Each tool decodes a typed parameter struct, and the JSON schema the model
// sees is generated from that struct by reflection (see Schema), so the two
// cannot drift apart. A failure the model can fix (bad arguments, a missing
// file, an edit that did not match, a path outside the workspace) comes back
// as a Result with IsError set; a Go error means the turn itself failed,
// which in practice is a cancelled context.
//
// Paths given by the model are resolved by Resolve: relative paths are taken
// from the workspace root, absolute paths must lie inside it, and symbolic
// links are followed one step at a time, so that no `..`, absolute path or
// chain of links can lead a tool out of the root. Writes go to the resolved
// real path, never through a link that points elsewhere, and every step of
// a write goes through an os.Root on the workspace: a directory swapped for a
// link to the outside after the path was checked makes the write fail.
//
// deckhand's own home is off limits to every tool, and other programs'
// credential stores need the user's leave: both come from a Home, made once
// from the configuration by whoever runs the tools and carried by every
// Env. The package keeps no state of its own: the Home also holds the key
// that tags temporary files and owns the sweeps of those left behind.
//
// The package imports no other deckhand package; the engine runs the tools
// through the Tool interface and decides about permission prompts itself.
package tools
