package engine

import (
	"context"

	"github.com/deckhand-dev/deckhand/tools"
)

// FileClient is a Client that serves the workspace's text files itself (ACP's
// fs/read_text_file and fs/write_text_file): the read, write and edit tools
// then read and write through it, so that edits land in the editor's buffers,
// unsaved ones included. Paths are absolute and inside the workspace.
type FileClient interface {
	Client
	// ServesFiles says whether the client serves files for this session.
	ServesFiles(sessionID string) bool
	ReadTextFile(ctx context.Context, sessionID, path string) (string, error)
	WriteTextFile(ctx context.Context, sessionID, path, content string) error
}

// TerminalClient is a Client that runs commands in terminals of its own
// (ACP's terminal/*): bash and exec_command then run there.
type TerminalClient interface {
	Client
	// ServesTerminals says whether the client runs commands for this session.
	ServesTerminals(sessionID string) bool
	// StartTerminal runs the command of call callID with bash -c in dir,
	// in a terminal shown in the call, and returns at once: exec_command's
	// commands may outlive their call.
	StartTerminal(ctx context.Context, sessionID, callID, command, dir string) (ClientTerminal, error)
}

// ClientTerminal is a command running in a terminal of the client's (the
// tools' Terminal): its output so far (only its end when truncated) and,
// once it ended, its exit code (-1 for a signal).
type ClientTerminal interface {
	Output(ctx context.Context) (output string, truncated bool, exit *int, err error)
	Wait(ctx context.Context) (exit int, err error)
	Kill() error
	Release()
}

// FileChange is what a write or edit call will do to a file, for a client
// that shows the change as a diff.
type FileChange struct {
	Path    string // absolute
	OldText string
	NewText string
	Created bool // the file does not exist yet
}

// clientBuffers is the client's fs/* as the tools' file source for one call
// (tools.Buffers): what it reads and writes is kept in the session's
// overlay, for grep, glob and list.
type clientBuffers struct {
	ctx context.Context
	fc  FileClient
	s   *Session
}

// buffersOf returns the files client serves for s, nil when it serves none.
func buffersOf(ctx context.Context, client Client, s *Session) tools.Buffers {
	fc, ok := client.(FileClient)
	if !ok || !fc.ServesFiles(s.ID) {
		return nil
	}
	return clientBuffers{ctx: ctx, fc: fc, s: s}
}

func (b clientBuffers) ReadText(path string) (string, error) {
	text, err := b.fc.ReadTextFile(b.ctx, b.s.ID, path)
	if err != nil {
		return "", err
	}
	b.s.overlay.Record(path, text)
	return text, nil
}

func (b clientBuffers) WriteText(path, content string) error {
	if err := b.fc.WriteTextFile(b.ctx, b.s.ID, path, content); err != nil {
		return err
	}
	b.s.overlay.Record(path, content)
	return nil
}

// useClientSources makes env read and write through the client's buffers
// when it serves the session's files, run exec_command's commands in its
// terminals when it serves them, and lets every tool see the files the
// client holds.
func (t *turn) useClientSources(ctx context.Context, env *tools.Env, c Item) {
	env.Buffers, env.Overlay = buffersOf(ctx, t.client, t.s), &t.s.overlay
	if tc, ok := t.client.(TerminalClient); ok && tc.ServesTerminals(t.s.ID) {
		env.Terminals = clientTerminals{ctx: ctx, tc: tc, sessionID: t.s.ID, callID: c.CallID}
	}
}

// clientTerminals is the client's terminal/* as the tools' command source
// for one call (tools.Terminals).
type clientTerminals struct {
	ctx               context.Context
	tc                TerminalClient
	sessionID, callID string
}

func (c clientTerminals) Start(command, dir string) (tools.Terminal, error) {
	return c.tc.StartTerminal(c.ctx, c.sessionID, c.callID, command, dir)
}

// previewFor is the preview of a permission request: the tools' own, which
// reads a file the client serves through the client.
func (t *turn) previewFor(ctx context.Context, c Item, env *tools.Env) (*Preview, string, bool) {
	return t.preview(c, env)
}
