package engine

import (
	"net/http"
	"testing"
	"time"
)

// The rate-limit headers and the codex.rate_limits event name each window
// by its length, whatever its slot.
func TestLimitsByWindowLength(t *testing.T) {
	h := http.Header{}
	h.Set("x-codex-primary-used-percent", "81.5")
	h.Set("x-codex-primary-window-minutes", "10080")
	h.Set("x-codex-primary-reset-at", "1796000000")
	h.Set("x-codex-secondary-used-percent", "3")
	h.Set("x-codex-secondary-window-minutes", "300")
	l, ok := limitsFromHeaders(h)
	if !ok || len(l.Windows) != 2 || l.Windows[0].Name != "weekly" || l.Windows[0].UsedPercent != 81.5 ||
		!l.Windows[0].ResetsAt.Equal(time.Unix(1796000000, 0)) || l.Windows[1].Name != "5h" {
		t.Errorf("from headers: %+v", l)
	}
	if _, ok := limitsFromHeaders(http.Header{}); ok {
		t.Errorf("limits from an answer without the headers")
	}
	ev := `{"type":"codex.rate_limits","plan_type":"plus","rate_limits":{"primary":{"used_percent":7,"window_minutes":300,"reset_at":1796000000},"secondary":{"used_percent":50,"window_minutes":1440}}}`
	l, ok = limitsFromEvent([]byte(ev))
	if !ok || l.PlanType != "plus" || len(l.Windows) != 2 || l.Windows[0].Name != "5h" || l.Windows[1].Name != "daily" || l.Windows[1].UsedPercent != 50 {
		t.Errorf("from the event: %+v", l)
	}
	for minutes, want := range map[int64]string{60: "1h", 4320: "3d", 45: "45m", 0: "unknown"} {
		if got := windowName(minutes); got != want {
			t.Errorf("windowName(%d) = %q, want %q", minutes, got, want)
		}
	}
}
