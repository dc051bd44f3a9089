package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/deckhand-dev/deckhand/upstreamtest"
)

type accountLimits struct {
	PlanType string `json:"planType"`
	Windows  []struct {
		Name          string  `json:"name"`
		WindowMinutes int64   `json:"windowMinutes"`
		UsedPercent   float64 `json:"usedPercent"`
		ResetsAt      string  `json:"resetsAt"`
	} `json:"windows"`
}

// The plan's limits the backend reports reach the editor after a model
// response (account/limits), answer limits, and show in `deckhand status`,
// each window named by its length whatever its slot.
func TestPlanLimits(t *testing.T) {
	t.Parallel()
	fake, p, _ := oauthServer(t, opts{})
	var before accountLimits
	p.ok("limits", map[string]any{}, &before)
	if len(before.Windows) != 0 {
		t.Fatalf("limits before any turn: %+v", before)
	}
	weekReset := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	fiveReset := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	// As a Pro plan was reported to: the weekly window in the primary slot.
	fake.SetRateLimits("pro",
		upstreamtest.RateWindow{UsedPercent: 40, WindowMinutes: 10080, ResetAt: weekReset},
		upstreamtest.RateWindow{UsedPercent: 12.5, WindowMinutes: 300, ResetAt: fiveReset})
	fake.PushCodex(upstreamtest.Text("Hi."))
	p.chat(map[string]any{"message": "hi"})

	notes := p.notifications("account/limits")
	if len(notes) == 0 {
		t.Fatal("no account/limits notification")
	}
	var got accountLimits
	if err := json.Unmarshal(notes[len(notes)-1].Params, &got); err != nil {
		t.Fatal(err)
	}
	check := func(what string, l accountLimits) {
		t.Helper()
		if l.PlanType != "pro" || len(l.Windows) != 2 {
			t.Fatalf("%s: %+v", what, l)
		}
		five, week := l.Windows[0], l.Windows[1]
		if five.Name != "5h" || five.WindowMinutes != 300 || five.UsedPercent != 12.5 || five.ResetsAt != fiveReset.UTC().Format(time.RFC3339) {
			t.Errorf("%s: 5h window %+v", what, five)
		}
		if week.Name != "weekly" || week.UsedPercent != 40 || week.ResetsAt != weekReset.UTC().Format(time.RFC3339) {
			t.Errorf("%s: weekly window %+v", what, week)
		}
	}
	check("account/limits", got)
	var asked accountLimits
	p.ok("limits", map[string]any{}, &asked)
	check("limits", asked)

	out, errOut, code := run(t, fake, p.home, p.ws, "", "status")
	if code != 0 || !strings.Contains(out, "Plan limits (pro)") || !strings.Contains(out, "5h: 12% used") || !strings.Contains(out, "weekly: 40% used") {
		t.Errorf("status: exit %d\n%s\n%s", code, out, errOut)
	}
}
