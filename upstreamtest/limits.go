package upstreamtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// RateWindow is one usage window the ChatGPT backend reports.
type RateWindow struct {
	UsedPercent   float64
	WindowMinutes int
	ResetAt       time.Time
}

// rateLimits is what the fake reports of the plan's limits. Guarded by
// Server.mu.
type rateLimits struct {
	plan    string
	windows []RateWindow // primary, secondary
}

// SetRateLimits makes every answer of <codex>/responses report the plan's
// limits as the backend does: x-codex-primary-* and x-codex-secondary-*
// headers (the first window primary, the second secondary: which slot holds
// which window differs by plan), and a codex.rate_limits event first in a
// stream. No windows: nothing is reported (the default).
func (s *Server) SetRateLimits(plan string, windows ...RateWindow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = rateLimits{plan: plan, windows: append([]RateWindow(nil), windows...)}
}

var rateSlots = []string{"primary", "secondary"}

// writeRateHeaders sets the rate-limit headers of an answer.
func (s *Server) writeRateHeaders(h http.Header) {
	s.mu.Lock()
	rl := s.limits
	s.mu.Unlock()
	for i, w := range rl.windows {
		if i >= len(rateSlots) {
			break
		}
		p := "x-codex-" + rateSlots[i] + "-"
		h.Set(p+"used-percent", strconv.FormatFloat(w.UsedPercent, 'f', -1, 64))
		h.Set(p+"window-minutes", strconv.Itoa(w.WindowMinutes))
		h.Set(p+"reset-at", strconv.FormatInt(w.ResetAt.Unix(), 10))
	}
	if len(rl.windows) > 0 {
		h.Set("x-codex-active-limit", "codex")
		h.Set("x-codex-credits-has-credits", "false")
		h.Set("x-codex-credits-unlimited", "false")
	}
}

// rateEvent is the codex.rate_limits event of a stream, or false.
func (s *Server) rateEvent() (sseEvent, bool) {
	s.mu.Lock()
	rl := s.limits
	s.mu.Unlock()
	if len(rl.windows) == 0 {
		return sseEvent{}, false
	}
	limits := map[string]any{}
	for i, w := range rl.windows {
		if i >= len(rateSlots) {
			break
		}
		limits[rateSlots[i]] = map[string]any{"used_percent": w.UsedPercent, "window_minutes": w.WindowMinutes, "reset_at": w.ResetAt.Unix()}
	}
	data, _ := json.Marshal(map[string]any{"type": "codex.rate_limits", "plan_type": rl.plan, "rate_limits": limits,
		"credits": map[string]any{"has_credits": false, "unlimited": false, "balance": nil}})
	return sseEvent{typ: "codex.rate_limits", data: data}, true
}
