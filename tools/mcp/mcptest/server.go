// Package mcptest is a small real MCP server for deckhand's tests: the same
// tools over stdio (a test binary that runs Main when ModeEnv is set) and
// over streamable HTTP (Handler, behind httptest). Production code never
// imports it.
package mcptest

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Environment variables a stdio test server reads.
const (
	// ModeEnv set to "stdio" makes a test binary serve MCP on stdio (Main).
	ModeEnv = "MCPTEST_MODE"
	// PIDFileEnv names a file where the server writes its pid and that of
	// a child it leaves running, one per line.
	PIDFileEnv = "MCPTEST_PIDFILE"
	// HangEnv set makes the server never answer.
	HangEnv = "MCPTEST_HANG"
	// FloodEnv set makes the server write this many lines to stderr
	// before it serves.
	FloodEnv = "MCPTEST_FLOOD"
	// StderrLine is written to standard error at start.
	StderrLine = "mcptest: serving on stdio"
)

// PNG is the 1x1 image the image tool returns.
var PNG = []byte{
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
	0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
	0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
	0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
}

// Greeting is the text of the resource test://greeting.
const Greeting = "hello from a resource"

type echoIn struct {
	Text string `json:"text" jsonschema:"the text to echo"`
}

type addIn struct {
	A int `json:"a"`
	B int `json:"b"`
}

type sleepIn struct {
	Ms int `json:"ms"`
}

type none struct{}

func text(s string) *sdk.CallToolResult {
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: s}}}
}

// NewServer is the test server: tools echo, add, image, fail, sleep, pwd and
// crash (stdio only: the process exits) and grow (adds the tool extra, so that
// the server says its tools changed), and the resource test://greeting.
func NewServer(name string, stdio bool) *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: name, Version: "1.0.0"}, nil)
	sdk.AddTool(s, &sdk.Tool{Name: "echo", Description: "Echo the text back."}, func(_ context.Context, _ *sdk.CallToolRequest, in echoIn) (*sdk.CallToolResult, any, error) {
		return text("echo: " + in.Text), nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "add", Description: "Add two integers."}, func(_ context.Context, _ *sdk.CallToolRequest, in addIn) (*sdk.CallToolResult, any, error) {
		return text(strconv.Itoa(in.A + in.B)), nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "image", Description: "Return a tiny PNG."}, func(context.Context, *sdk.CallToolRequest, none) (*sdk.CallToolResult, any, error) {
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "a red dot"}, &sdk.ImageContent{MIMEType: "image/png", Data: PNG}}}, nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "fail", Description: "Fail on purpose."}, func(context.Context, *sdk.CallToolRequest, none) (*sdk.CallToolResult, any, error) {
		r := text("it failed on purpose")
		r.IsError = true
		return r, nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "sleep", Description: "Sleep ms milliseconds."}, func(ctx context.Context, _ *sdk.CallToolRequest, in sleepIn) (*sdk.CallToolResult, any, error) {
		select {
		case <-time.After(time.Duration(in.Ms) * time.Millisecond):
			return text("slept"), nil, nil
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	})
	if stdio {
		sdk.AddTool(s, &sdk.Tool{Name: "pwd", Description: "The server's working folder."}, func(context.Context, *sdk.CallToolRequest, none) (*sdk.CallToolResult, any, error) {
			wd, err := os.Getwd()
			if err != nil {
				return nil, nil, err
			}
			return text(wd), nil, nil
		})
		sdk.AddTool(s, &sdk.Tool{Name: "crash", Description: "Exit the server process."}, func(context.Context, *sdk.CallToolRequest, none) (*sdk.CallToolResult, any, error) {
			os.Exit(3)
			return nil, nil, nil
		})
	}
	sdk.AddTool(s, &sdk.Tool{Name: "grow", Description: "Add the tool extra."}, func(context.Context, *sdk.CallToolRequest, none) (*sdk.CallToolResult, any, error) {
		sdk.AddTool(s, &sdk.Tool{Name: "extra", Description: "A tool added later."}, func(context.Context, *sdk.CallToolRequest, none) (*sdk.CallToolResult, any, error) {
			return text("extra ran"), nil, nil
		})
		return text("grown"), nil, nil
	})
	s.AddResource(&sdk.Resource{URI: "test://greeting", Name: "greeting", MIMEType: "text/plain"}, func(_ context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
		return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: req.Params.URI, MIMEType: "text/plain", Text: Greeting}}}, nil
	})
	return s
}

// Handler serves the test server over streamable HTTP. token, when not
// empty, is the bearer token every request must carry.
func Handler(token string) http.Handler {
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return NewServer("mcptest-http", false) }, nil)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Main serves the test server on stdio when ModeEnv is "stdio", and exits;
// otherwise it returns. Call it first in a TestMain.
func Main() {
	if os.Getenv(ModeEnv) != "stdio" {
		return
	}
	fmt.Fprintln(os.Stderr, StderrLine)
	if f := os.Getenv(PIDFileEnv); f != "" {
		child := exec.Command("sleep", "300")
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "mcptest: child:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(f, fmt.Appendf(nil, "%d\n%d\n", os.Getpid(), child.Process.Pid), 0o600); err != nil {
			os.Exit(1)
		}
	}
	if n, _ := strconv.Atoi(os.Getenv(FloodEnv)); n > 0 {
		w := bufio.NewWriter(os.Stderr)
		for i := range n {
			fmt.Fprintf(w, "flood line %d %s\n", i, strings.Repeat("x", 200))
		}
		w.Flush()
	}
	if os.Getenv(HangEnv) != "" {
		time.Sleep(time.Hour)
	}
	err := NewServer("mcptest", true).Run(context.Background(), &sdk.StdioTransport{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mcptest:", err)
	}
	os.Exit(0)
}
