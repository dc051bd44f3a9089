// Package patch owns the patch format the Codex models write to change
// files (the freeform apply_patch tool): its grammar, a parser, and the
// all-or-nothing application of a parsed patch to a workspace.
//
// A patch is text between "*** Begin Patch" and "*** End Patch" holding one
// or more file operations: "*** Add File: <path>" followed by the new
// file's lines, each prefixed with "+"; "*** Delete File: <path>"; and
// "*** Update File: <path>", optionally followed by "*** Move to: <path>",
// then hunks. A hunk starts with "@@", optionally followed by a line of the
// file that anchors it (a function header, say); its lines start with " "
// (context), "-" (removed) or "+" (added), and "*** End of File" ends a
// hunk that must match at the end of the file.
//
// Plan works out every file's new content without writing anything: a hunk
// whose lines are not found, a path outside the workspace or a file that
// cannot be read makes the whole patch fail, and nothing is changed. The
// lines of a hunk are looked for exactly first, then ignoring trailing
// whitespace, then ignoring surrounding whitespace, and last with typographic
// punctuation (curly quotes, dashes, unusual spaces) read as its ASCII
// twin, as models often write them. Each Change carries its unified diff,
// computed once for the review, the result and the undo. Commit writes the
// changes, and puts back what it wrote when a later write fails.
//
// The package imports no other deckhand package: files are reached through
// the Files interface, for which Dir is the implementation on a directory
// of the disk.
package patch
