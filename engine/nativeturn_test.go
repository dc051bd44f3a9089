package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

// backgroundPid waits for a command to write its background job's pid.
func backgroundPid(t *testing.T, file string) int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(file); err == nil && strings.HasSuffix(string(b), "\n") {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				return pid
			}
		}
	}
	t.Fatalf("no pid in %s", file)
	return 0
}

func gone(pid int) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			return true
		}
		if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			if f := strings.Fields(string(stat)); len(f) > 2 && f[2] == "Z" {
				return true
			}
		}
	}
	return false
}

// A command a turn left running lives on with its session, and dies with
// everything it started when the session closes, or when a later turn is
// cancelled.
func TestSessionCommandsEndWithTheSession(t *testing.T) {
	for _, end := range []string{"close", "cancel"} {
		t.Run(end, func(t *testing.T) {
			e, fake := testEngine(t)
			pidFile := filepath.Join(t.TempDir(), "pid")
			cmd := `{"cmd":"sleep 60 & echo $! > ` + pidFile + `; wait","yield_time_ms":250}`
			fake.PushCodex(upstreamtest.Step().Call("x1", "exec_command", cmd).Reply(), upstreamtest.Text("left running"))
			res, err := e.Chat(context.Background(), ChatRequest{Message: "start it", Model: "gpt-5.5"})
			if err != nil || res.StopReason != StopEndTurn {
				t.Fatalf("chat: %v %+v", err, res)
			}
			pid := backgroundPid(t, pidFile)
			if !processRunning(pid) {
				t.Fatalf("the command did not outlive its turn")
			}
			switch end {
			case "close":
				if ok, err := e.CloseSession(res.SessionID); !ok || err != nil {
					t.Fatalf("close: %v %v", ok, err)
				}
			case "cancel":
				fake.PushCodex(upstreamtest.Step().Stall().Reply())
				done := make(chan struct{})
				go func() {
					defer close(done)
					e.Chat(context.Background(), ChatRequest{SessionID: res.SessionID, Message: "wait"})
				}()
				<-fake.Stalled()
				if ok, _ := e.CancelSession(res.SessionID); !ok {
					t.Fatal("nothing to cancel")
				}
				<-done
			}
			if !gone(pid) {
				t.Errorf("after %s, the command's background job %d still runs", end, pid)
			}
		})
	}
}

func processRunning(pid int) bool { return syscall.Kill(pid, 0) == nil }

// A hosted web search the model made reaches the editor as a web_search
// call with its query, and its sources as the result; the history keeps
// nothing of it.
func TestWebSearchIsReported(t *testing.T) {
	e, fake := testEngine(t)
	rec := &recorder{}
	id, err := e.NewSession(SessionOptions{Root: t.TempDir(), Client: rec})
	if err != nil {
		t.Fatal(err)
	}
	search := `{"type":"response.output_item.done","output_index":0,"item":{"id":"ws_1","type":"web_search_call","status":"completed",` +
		`"action":{"type":"search","query":"go 1.26 release notes","sources":[{"type":"url","url":"https://go.dev/doc/go1.26"}]}}}`
	fake.PushCodex(upstreamtest.Step().RawEvent(search).Text("Go 1.26 is out.").Reply())
	res, err := e.Chat(context.Background(), ChatRequest{SessionID: id, Message: "what's new in go", Model: "gpt-5.5"})
	if err != nil || res.Text != "Go 1.26 is out." {
		t.Fatalf("chat: %v %+v", err, res)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var call, result *TurnEvent
	for i, ev := range rec.events {
		switch {
		case ev.Kind == EventToolCall && ev.Name == "web_search":
			call = &rec.events[i]
		case ev.Kind == EventToolResult && ev.Name == "web_search":
			result = &rec.events[i]
		}
	}
	if call == nil || call.CallID != "ws_1" || !strings.Contains(string(call.Arguments), `"query":"go 1.26 release notes"`) {
		t.Errorf("call %+v", call)
	}
	if result == nil || !result.OK || !strings.Contains(result.Output, "https://go.dev/doc/go1.26") {
		t.Errorf("result %+v", result)
	}
	// A reopened session shows the search where it was, before the text.
	e.CloseSession(id)
	_, turns, err := e.LoadSession(id)
	if err != nil || len(turns) != 1 {
		t.Fatalf("turns %+v, %v", turns, err)
	}
	if got := fmt.Sprint(partsOf(turns[0])); got != "[tool:ws_1< text:Go 1.26 is out.]" {
		t.Fatalf("parts %s", got)
	}
	if c := turns[0].Tools[0]; result != nil && (c.Name != "web_search" || c.OK != result.OK || c.Output != result.Output || string(c.Arguments) != string(call.Arguments)) {
		t.Errorf("loaded search %+v, live %+v", c, result)
	}
}
