package acp

import (
	"context"
	"time"

	sdk "github.com/coder/acp-go-sdk"

	"github.com/deckhand-dev/deckhand/engine"
)

// The client's files and terminals (engine.FileClient, engine.TerminalClient).

// ServesFiles implements engine.FileClient: the client declared both
// fs/read_text_file and fs/write_text_file.
func (c *client) ServesFiles(string) bool { return c.a.servesFiles() }

// ReadTextFile implements engine.FileClient.
func (c *client) ReadTextFile(ctx context.Context, sessionID, path string) (string, error) {
	var res sdk.ReadTextFileResponse
	if err := c.a.conn.Call(ctx, sdk.ClientMethodFsReadTextFile, sdk.ReadTextFileRequest{
		SessionId: sdk.SessionId(sessionID), Path: path}, &res); err != nil {
		return "", err
	}
	return res.Content, nil
}

// WriteTextFile implements engine.FileClient.
func (c *client) WriteTextFile(ctx context.Context, sessionID, path, content string) error {
	return c.a.conn.Call(ctx, sdk.ClientMethodFsWriteTextFile, sdk.WriteTextFileRequest{
		SessionId: sdk.SessionId(sessionID), Path: path, Content: content}, nil)
}

// ServesTerminals implements engine.TerminalClient.
func (c *client) ServesTerminals(string) bool { return c.a.servesTerminals() }

// execOutputLimit is how much of a command's output the client keeps.
// exec_command's every poll carries all of it, so it is well below what a
// local command keeps, and still far more than the model is shown.
const execOutputLimit = 256 << 10

// StartTerminal implements engine.TerminalClient: bash's and exec_command's
// commands run in a terminal of the client's, shown in the tool call, and
// released whatever happens; exec_command's is polled (terminal/output)
// until it ends, which may be after its call.
func (c *client) StartTerminal(ctx context.Context, sessionID, callID, command, dir string) (engine.ClientTerminal, error) {
	sid := sdk.SessionId(sessionID)
	var created sdk.CreateTerminalResponse
	if err := c.a.conn.Call(ctx, sdk.ClientMethodTerminalCreate, sdk.CreateTerminalRequest{
		SessionId: sid, Command: "bash", Args: []string{"-c", command}, Cwd: sdk.Ptr(dir),
		OutputByteLimit: sdk.Ptr(execOutputLimit)}, &created); err != nil {
		return nil, err
	}
	c.inTerminal.Store(callID, created.TerminalId)
	c.update(sessionID, sdk.SessionUpdate{ToolCallUpdate: &sdk.SessionToolCallUpdate{
		SessionUpdate: "tool_call_update", ToolCallId: sdk.ToolCallId(callID),
		Content: []sdk.ToolCallContent{sdk.ToolTerminalRef(created.TerminalId)}}})
	return &terminal{c: c, ref: terminalRef{sid, created.TerminalId}}, nil
}

type terminalRef struct {
	SessionID  sdk.SessionId `json:"sessionId"`
	TerminalID string        `json:"terminalId"`
}

// terminal is a command in a terminal of the client's (engine.ClientTerminal).
type terminal struct {
	c   *client
	ref terminalRef
}

func (t *terminal) Output(ctx context.Context) (string, bool, *int, error) {
	var out sdk.TerminalOutputResponse
	if err := t.c.a.conn.Call(ctx, sdk.ClientMethodTerminalOutput, t.ref, &out); err != nil {
		return "", false, nil, err
	}
	if out.ExitStatus == nil {
		return out.Output, out.Truncated, nil, nil
	}
	code := -1 // a signal
	if out.ExitStatus.ExitCode != nil {
		code = *out.ExitStatus.ExitCode
	}
	return out.Output, out.Truncated, &code, nil
}

func (t *terminal) Wait(ctx context.Context) (int, error) {
	var exit sdk.WaitForTerminalExitResponse
	if err := t.c.a.conn.Call(ctx, sdk.ClientMethodTerminalWaitForExit, t.ref, &exit); err != nil {
		return 0, err
	}
	if exit.ExitCode != nil {
		return *exit.ExitCode, nil
	}
	return -1, nil // a signal
}

func (t *terminal) Kill() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return t.c.a.conn.Call(ctx, sdk.ClientMethodTerminalKill, t.ref, nil)
}

func (t *terminal) Release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = t.c.a.conn.Call(ctx, sdk.ClientMethodTerminalRelease, t.ref, nil)
}
