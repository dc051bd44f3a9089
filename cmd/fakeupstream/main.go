// Command fakeupstream serves deckhand's fake of OpenAI (package
// upstreamtest) as a process of its own, for tests that drive deckhand from
// outside Go: the editor plugins' suites. It prints one JSON line with the
// URLs to point deckhand at, then serves until stdin closes or it is
// signalled.
//
//	fakeupstream --script replies.json --auto-approve 1 --allow-port 23456 --api-models gpt-5-a,gpt-5-b
//
// The fake's issuer is as strict as the real one: a browser login whose
// callback port is not 1455 or 1457 is refused unless --allow-port
// registers it.
//
// While it runs, a line "requests" on stdin makes it print one JSON line
// {"requests": [{"method", "path", "query", "body"}]} with every request it
// received so far (bodies as parsed JSON where they are JSON, else strings),
// so that a test outside Go can assert on what deckhand sent.
//
// A script is a JSON list of model steps, each answering one /responses
// request (ChatGPT branch) in order:
//
//	[{"reasoning": "…", "text": "…", "calls": [{"id": "c1", "name": "read", "arguments": {"path": "a.go"}}],
//	  "delayMs": 20, "stall": false, "error": {"status": 429, "body": "{…}"}}]
//
// A call with "input" in place of "arguments" is a custom tool call (a
// freeform tool such as apply_patch) whose input is that text. A step with
// "webSearch": {"query", "sources": [urls]} makes a hosted web search before
// its text, and "citations": [{"url", "title"}] the text's citations.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

type call struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	// Input makes the call a custom_tool_call (a freeform tool such as
	// apply_patch) whose input is this text, in place of arguments.
	Input string `json:"input"`
}

type step struct {
	Reasoning string `json:"reasoning"`
	Text      string `json:"text"`
	Calls     []call `json:"calls"`
	DelayMs   int    `json:"delayMs"`
	Stall     bool   `json:"stall"`
	// Refusal adds a message whose content is a refusal; Incomplete ends
	// the step with response.incomplete and this reason.
	Refusal    string `json:"refusal"`
	Incomplete string `json:"incomplete"`
	// Usage is the [input, output] tokens the step reports.
	Usage *[2]int `json:"usage"`
	// WebSearch comes before the text: a hosted web search for query
	// that read sources. Citations are url_citation annotations of the text.
	WebSearch *struct {
		Query   string   `json:"query"`
		Sources []string `json:"sources"`
	} `json:"webSearch"`
	Citations []struct {
		URL   string `json:"url"`
		Title string `json:"title"`
	} `json:"citations"`
	Error *struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	} `json:"error"`
}

func main() {
	script := flag.String("script", "", "JSON file of model steps to answer with, in order")
	approve := flag.Int("auto-approve", 1, "approve each device code after this many polls (0: never)")
	apiKey := flag.String("api-key", "sk-fake", "the API key the fake public API accepts")
	window := flag.Int("context-window", 0, "every model's context window in tokens, enforced and listed in the Codex catalog (0: no limit)")
	var ports []int
	flag.Func("allow-port", "register this login callback port beside 1455 and 1457 (repeatable)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q is not a port number", v)
		}
		ports = append(ports, n)
		return nil
	})
	var originators []string
	flag.Func("allow-originator", "allow-list this originator beside the official clients' (repeatable)", func(v string) error {
		originators = append(originators, v)
		return nil
	})
	apiModels := flag.String("api-models", "", "comma-separated ids that /v1/models lists")
	codexModels := flag.String("codex-models", "", "comma-separated slugs of the Codex catalog (none: the reference catalog)")
	rateLimits := flag.Bool("rate-limits", false, "report plan limits (a 5h window 12% used, a weekly one 40%) with every Codex answer")
	flag.Parse()

	fake := upstreamtest.New()
	defer fake.Close()
	for _, p := range ports {
		fake.AllowRedirectPort(p)
	}
	for _, o := range originators {
		fake.AllowOriginator(o)
	}
	fake.SetAPIKey(*apiKey)
	if *window > 0 {
		fake.SetContextWindow(*window)
	}
	if *approve > 0 {
		fake.AutoApproveDevice(*approve)
	}
	if *apiModels != "" {
		fake.SetAPIModels(strings.Split(*apiModels, ",")...)
	}
	if *codexModels != "" {
		fake.SetCodexModels(strings.Split(*codexModels, ",")...)
	}
	if *rateLimits {
		now := time.Now()
		fake.SetRateLimits("plus",
			upstreamtest.RateWindow{UsedPercent: 12, WindowMinutes: 300, ResetAt: now.Add(3 * time.Hour)},
			upstreamtest.RateWindow{UsedPercent: 40, WindowMinutes: 10080, ResetAt: now.Add(4 * 24 * time.Hour)})
	}
	if *script != "" {
		replies, err := load(*script)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fakeupstream:", err)
			os.Exit(2)
		}
		fake.PushCodex(replies...)
		fake.PushAPI(replies...)
	}
	out := json.NewEncoder(os.Stdout)
	out.Encode(map[string]string{
		"issuer": fake.Issuer(), "codex": fake.CodexBase(), "api": fake.APIBase(),
	})

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	eof := make(chan struct{})
	go func() { serveCommands(os.Stdin, out, fake); close(eof) }()
	select {
	case <-sig:
	case <-eof:
	}
}

// serveCommands answers the lines read from in until it ends: "requests"
// prints the recording; anything else is ignored.
func serveCommands(in io.Reader, out *json.Encoder, fake *upstreamtest.Server) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "requests" {
			continue
		}
		type recorded struct {
			Method string `json:"method"`
			Path   string `json:"path"`
			Query  string `json:"query,omitempty"`
			Body   any    `json:"body,omitempty"`
		}
		list := []recorded{}
		for _, r := range fake.Requests() {
			rec := recorded{Method: r.Method, Path: r.Path, Query: r.RawQuery}
			var body any
			if json.Unmarshal(r.Body, &body) == nil {
				rec.Body = body
			} else if len(r.Body) > 0 {
				rec.Body = string(r.Body)
			}
			list = append(list, rec)
		}
		out.Encode(map[string]any{"requests": list})
	}
}

func load(path string) ([]upstreamtest.Reply, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var steps []step
	if err := json.Unmarshal(b, &steps); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []upstreamtest.Reply
	for _, s := range steps {
		if s.Error != nil {
			out = append(out, upstreamtest.Error(s.Error.Status, s.Error.Body))
			continue
		}
		b := upstreamtest.Step()
		if s.DelayMs > 0 {
			b = b.DelayPerEvent(time.Duration(s.DelayMs) * time.Millisecond)
		}
		if s.Reasoning != "" {
			b = b.Reasoning(s.Reasoning, "enc")
		}
		if s.WebSearch != nil {
			b = b.WebSearch(s.WebSearch.Query, s.WebSearch.Sources...)
		}
		if s.Text != "" {
			b = b.Text(s.Text)
			for _, c := range s.Citations {
				b = b.Cite(c.URL, c.Title)
			}
		}
		if s.Refusal != "" {
			b = b.Refusal(s.Refusal)
		}
		for _, c := range s.Calls {
			if c.Input != "" {
				b = b.CustomCall(c.ID, c.Name, c.Input)
				continue
			}
			args := string(c.Arguments)
			if args == "" {
				args = "{}"
			}
			b = b.Call(c.ID, c.Name, args)
		}
		if s.Stall {
			b = b.Stall()
		}
		if s.Incomplete != "" {
			b = b.Incomplete(s.Incomplete)
		}
		if s.Usage != nil {
			b = b.Usage(s.Usage[0], s.Usage[1])
		}
		out = append(out, b.Reply())
	}
	return out, nil
}
