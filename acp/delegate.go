package acp

import (
	"context"
	"errors"
	"fmt"
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

// terminalOutputLimit is how much output the client keeps for the model, as
// the bash tool does.
const terminalOutputLimit = 30 << 10

// RunCommand implements engine.TerminalClient: the command runs in a
// terminal of the client's, shown in the tool call while it runs, and
// released whatever happens.
func (c *client) RunCommand(ctx context.Context, sessionID, callID, command, dir string) (string, string, error) {
	sid := sdk.SessionId(sessionID)
	var created sdk.CreateTerminalResponse
	if err := c.a.conn.Call(ctx, sdk.ClientMethodTerminalCreate, sdk.CreateTerminalRequest{
		SessionId: sid, Command: "bash", Args: []string{"-c", command}, Cwd: sdk.Ptr(dir),
		OutputByteLimit: sdk.Ptr(terminalOutputLimit)}, &created); err != nil {
		return "", "", err
	}
	ref := struct {
		SessionID  sdk.SessionId `json:"sessionId"`
		TerminalID string        `json:"terminalId"`
	}{sid, created.TerminalId}
	defer func() {
		// Release even when the turn was cancelled: the terminal is the
		// agent's to free.
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.a.conn.Call(rctx, sdk.ClientMethodTerminalRelease, ref, nil)
	}()
	c.update(sessionID, sdk.SessionUpdate{ToolCallUpdate: &sdk.SessionToolCallUpdate{
		SessionUpdate: "tool_call_update", ToolCallId: sdk.ToolCallId(callID),
		Content: []sdk.ToolCallContent{sdk.ToolTerminalRef(created.TerminalId)}}})
	var exit sdk.WaitForTerminalExitResponse
	timedOut := false
	if err := c.a.conn.Call(ctx, sdk.ClientMethodTerminalWaitForExit, ref, &exit); err != nil {
		if ctx.Err() == nil {
			return "", "", err
		}
		kctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.a.conn.Call(kctx, sdk.ClientMethodTerminalKill, ref, nil)
		cancel()
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", "", err
		}
		timedOut = true
	}
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var out sdk.TerminalOutputResponse
	if err := c.a.conn.Call(octx, sdk.ClientMethodTerminalOutput, ref, &out); err != nil {
		return "", "", err
	}
	status := "exit status unknown"
	switch {
	case timedOut:
		status = "killed: the command ran out of time"
	case exit.ExitCode != nil:
		status = fmt.Sprintf("exit status %d", *exit.ExitCode)
	case exit.Signal != nil:
		status = "killed by " + *exit.Signal
	}
	if out.Truncated {
		out.Output = "[output cut to its last 30 KiB]\n" + out.Output
	}
	return out.Output, status, nil
}

// execOutputLimit is how much of a command's output the client keeps for
// exec_command. Every poll carries all of it, so it is well below what a
// local command keeps, and still far more than the model is shown.
const execOutputLimit = 256 << 10

// StartTerminal implements engine.TerminalClient: exec_command's command
// runs in a terminal of the client's, shown in the tool call, and polled
// (terminal/output) until it ends, which may be after its call.
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
