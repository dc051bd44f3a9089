package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

type compactedParams struct {
	SessionID, TurnID         string
	BeforeTokens, AfterTokens int64
}

type usageResult struct {
	SessionID  string
	StopReason string
	Usage      struct{ InputTokens, ContextTokens, ContextWindow int64 }
}

// A session of 120 tool-heavy turns with a small context window never
// overflows it: the history is compacted through a trigger item as it grows, the editor is told, and the requests stay bounded.
// (About one turn in three compacts: some 40 compactions in all.)
func TestCompactionKeepsALongSessionGoing(t *testing.T) {
	t.Parallel()
	const window, turns = 12000, 120
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	fake.SetContextWindow(window)
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	p := start(t, opts{fake: fake, home: home})
	p.initialize(false)
	for i := range 3 {
		writeFile(t, p.ws, fmt.Sprintf("src/f%d.go", i), strings.Repeat(fmt.Sprintf("// line of file %d, long enough to matter\n", i), 40))
	}
	for n := range turns {
		fake.PushCodex(
			upstreamtest.Step().
				Call(fmt.Sprintf("r%da", n), "read", `{"path":"src/f0.go"}`).
				Call(fmt.Sprintf("r%db", n), "read", fmt.Sprintf(`{"path":"src/f%d.go"}`, 1+n%2)).
				Call(fmt.Sprintf("g%d", n), "grep", `{"pattern":"line of file"}`).Reply(),
			upstreamtest.Text(fmt.Sprintf("Turn %d: the files hold comments.", n)))
	}
	var sid string
	var last usageResult
	for n := range turns {
		params := map[string]any{"message": fmt.Sprintf("turn %d: what do the files say?", n)}
		if sid != "" {
			params["sessionId"] = sid
		}
		res, err := p.call("chat", params)
		if err != nil {
			t.Fatalf("turn %d: %v (largest request %d tokens of %d)", n, err, fake.MaxRequestTokens(), window)
		}
		last = decode[usageResult](t, res)
		if last.StopReason != "end_turn" {
			t.Fatalf("turn %d: %+v", n, last)
		}
		sid = last.SessionID
	}
	if max := fake.MaxRequestTokens(); max > window {
		t.Errorf("a request of %d tokens passed the window of %d", max, window)
	}
	comps := fake.Compactions()
	notes := p.notifications("chat/compacted")
	t.Logf("%d turns, %d compactions, largest request %d tokens of a %d-token window", turns, comps, fake.MaxRequestTokens(), window)
	if comps < 10 || len(notes) != comps {
		t.Fatalf("%d compactions upstream, %d chat/compacted notifications", comps, len(notes))
	}
	for _, n := range notes {
		c := decode[compactedParams](t, n.Params)
		if c.SessionID != sid || c.TurnID == "" || c.BeforeTokens < window*85/100 || c.AfterTokens >= c.BeforeTokens/2 {
			t.Errorf("chat/compacted %+v", c)
		}
	}
	if last.Usage.ContextWindow != window || last.Usage.ContextTokens <= 0 || last.Usage.ContextTokens > window {
		t.Errorf("usage %+v", last.Usage)
	}
	// The history after a compaction starts from the compaction item, and
	// the requests of the last turns are no larger than those of the first.
	reqs := fake.RequestsTo(codexPath)
	sawCompaction := false
	for _, it := range input(t, reqs, len(reqs)-1) {
		sawCompaction = sawCompaction || it["type"] == "compaction"
	}
	if !sawCompaction {
		t.Errorf("the last request carries no compaction item")
	}
	// Compaction by trigger, as the official client asks for it: never the
	// endpoint the ChatGPT backend does not serve.
	if n := len(fake.RequestsTo(upstreamtest.PathCodexCompact)); n != 0 {
		t.Errorf("%d calls to %s", n, upstreamtest.PathCodexCompact)
	}
	triggers := 0
	official := loadSkeletons(t)["lite_compaction"]
	for i, r := range reqs {
		in := input(t, reqs, i)
		if in[len(in)-1]["type"] != "compaction_trigger" {
			continue
		}
		if triggers == 0 {
			// As the official client's: its headers and fields, the
			// request's own items first, the trigger last.
			items := skeletonOf(t, r).Items
			want := official
			want.Items = nil
			compareSkeleton(t, "compaction request", want, r)
			if head := runs(items)[:3]; !slices.Equal(head, runs(official.Items)[:3]) || items[len(items)-1] != "compaction_trigger" {
				t.Errorf("compaction request items %v, the official client's %v", items, official.Items)
			}
		}
		triggers++
		if r.Header.Get("x-codex-beta-features") != "remote_compaction_v2" || r.JSON()["model"] != upstreamtest.ReferenceCatalog[0].Slug {
			t.Errorf("compaction request headers %v", r.Header)
			break
		}
	}
	if triggers != comps || fake.Triggers() != comps {
		t.Errorf("%d trigger requests, the fake counted %d, %d compactions", triggers, fake.Triggers(), comps)
	}
}

// Where the compaction trigger is refused, a summarising step of the model
// stands in for it.
func TestCompactionFallsBackToASummary(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	fake.RefuseCompactionTrigger(true)
	home := t.TempDir()
	writeOAuth(t, home, fake.Mint(), "acct_test_1", farFuture())
	// A first process measures the first request, for a window that the
	// second request passes 90% of, without passing it. (The window is read
	// from the catalog once per process.)
	p0 := start(t, opts{fake: fake, home: home})
	p0.initialize(false)
	fake.PushCodex(upstreamtest.Text("Calibrated."))
	p0.chat(map[string]any{"message": "hello"})
	size := len(fake.RequestsTo(codexPath)[0].Body)
	big := strings.Repeat("a long message line\n", 400)     // 8,000 bytes
	fake.SetContextWindow((size + len(big)) / 4 * 100 / 92) // 92%: room left for the summary request

	p := start(t, opts{fake: fake, home: home})
	p.initialize(false)
	fake.PushCodex(upstreamtest.Text("First answer."))
	r1 := p.chat(map[string]any{"message": "hello"})
	fake.PushCodex(upstreamtest.Text("SUMMARY: the user said hello and sent a long message."), upstreamtest.Text("Second answer."))
	var r2 usageResult
	p.ok("chat", map[string]any{"message": big, "sessionId": r1.SessionID}, &r2)
	reqs := fake.RequestsTo(codexPath)[1:] // answer, refused trigger, summary, answer
	if len(reqs) != 4 || fake.Compactions() != 0 || fake.Triggers() != 1 || len(fake.RequestsTo(upstreamtest.PathCodexCompact)) != 0 {
		t.Fatalf("%d requests, %d compactions, %d triggers", len(reqs), fake.Compactions(), fake.Triggers())
	}
	reqs = append(reqs[:1], reqs[2:]...)
	summarise := reqs[1].JSON()
	if tools, _ := summarise["tools"].([]any); len(tools) != 0 {
		t.Errorf("the summarising step offers tools")
	}
	texts := userTexts(input(t, reqs, 1))
	if !strings.Contains(texts[len(texts)-1], "summary of the conversation") {
		t.Errorf("summarising step's last message %q", texts[len(texts)-1])
	}
	after := userTexts(input(t, reqs, 2))
	if !strings.HasPrefix(after[0], "<environment_context>") || !strings.Contains(after[len(after)-1], "SUMMARY: the user said hello") ||
		!strings.Contains(strings.Join(after, ""), "a long message line") {
		t.Errorf("history after the summary: %.300q", after)
	}
	for _, d := range p.notifications("chat/delta") {
		if strings.Contains(string(d.Params), "SUMMARY") {
			t.Errorf("the summary was streamed to the editor")
		}
	}
	if n := len(p.notifications("chat/compacted")); n != 1 {
		t.Errorf("%d chat/compacted notifications", n)
	}
}

// On the API-key branch the window comes from the built-in table, and the
// compaction is asked for with a trigger item on /v1/responses, with the
// key.
func TestCompactionOnTheAPIBranch(t *testing.T) {
	t.Parallel()
	fake := upstreamtest.New()
	t.Cleanup(fake.Close)
	fake.SetAPIKey("sk-test-123")
	fake.SetContextWindow(272000) // gpt-5.5's, as deckhand's table has it
	p := start(t, opts{fake: fake})
	p.initialize(false)
	p.ok("connect", map[string]any{"provider": "openai", "method": "apiKey", "apiKey": "sk-test-123"}, nil)
	fake.PushAPI(upstreamtest.Text("Read the first part."), upstreamtest.Text("Read the second part."))
	r1 := p.chat(map[string]any{"message": "part one:\n" + strings.Repeat("0123456789abcdef\n", 33000)}) // 561 KB
	var r2 usageResult
	p.ok("chat", map[string]any{"sessionId": r1.SessionID, "message": "part two:\n" + strings.Repeat("fedcba9876543210\n", 28000)}, &r2) // 476 KB
	reqs := fake.RequestsTo("/v1/responses")
	var comp []upstreamtest.Request
	for i, r := range reqs {
		if in := input(t, reqs, i); in[len(in)-1]["type"] == "compaction_trigger" {
			comp = append(comp, r)
		}
	}
	if len(comp) != 1 || comp[0].Header.Get("Authorization") != "Bearer sk-test-123" || fake.Compactions() != 1 || len(fake.RequestsTo(upstreamtest.PathAPICompact)) != 0 {
		t.Fatalf("%d compaction requests", len(comp))
	}
	if r2.Usage.ContextWindow != 272000 || r2.StopReason != "end_turn" {
		t.Errorf("result %+v", r2)
	}
	last := input(t, reqs, len(reqs)-1)
	texts := userTexts(last)
	// The environment and the latest user message stay, then the compaction.
	if last[len(last)-1]["type"] != "compaction" || len(texts) != 2 || !strings.HasPrefix(texts[0], "<environment_context>") || !strings.HasPrefix(texts[1], "part two:") {
		t.Errorf("history after compaction: %d items, user messages %d", len(last), len(texts))
	}
	if fake.MaxRequestTokens() > 272000 {
		t.Errorf("a request passed the window: %d tokens", fake.MaxRequestTokens())
	}
}
