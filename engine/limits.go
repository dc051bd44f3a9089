package engine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Plan limits. The ChatGPT backend says how much of each usage window a
// login has used: in the response headers of a turn
// (x-codex-primary-used-percent, -window-minutes, -reset-at, the same for
// secondary, x-codex-credits-*) and in codex.rate_limits stream events.
// Which slot holds which window differs by plan, so a window is named by
// its length ("5h", "weekly"), never by its slot. The last known limits are
// kept in DECKHAND_HOME/limits.json, for `deckhand status` and a restart.

// LimitWindow is one usage window.
type LimitWindow struct {
	Name          string    `json:"name"` // by its length: "5h", "weekly", ...
	WindowMinutes int64     `json:"windowMinutes"`
	UsedPercent   float64   `json:"usedPercent"`
	ResetsAt      time.Time `json:"resetsAt,omitzero"`
}

// Credits is what the service said of the login's credits.
type Credits struct {
	HasCredits bool   `json:"hasCredits"`
	Unlimited  bool   `json:"unlimited"`
	Balance    string `json:"balance,omitempty"`
}

// Limits is what the service last said of the login's plan limits.
type Limits struct {
	PlanType string        `json:"planType,omitempty"`
	Windows  []LimitWindow `json:"windows"`
	Credits  *Credits      `json:"credits,omitempty"`
	// ObservedAt is when the service said it.
	ObservedAt time.Time `json:"observedAt,omitzero"`
}

// limitsFile is where the last known limits are kept, in DECKHAND_HOME.
const limitsFile = "limits.json"

// windowName names a window by its length.
func windowName(minutes int64) string {
	switch {
	case minutes == 7*24*60:
		return "weekly"
	case minutes == 24*60:
		return "daily"
	case minutes > 0 && minutes%(24*60) == 0:
		return strconv.FormatInt(minutes/(24*60), 10) + "d"
	case minutes > 0 && minutes%60 == 0:
		return strconv.FormatInt(minutes/60, 10) + "h"
	case minutes > 0:
		return strconv.FormatInt(minutes, 10) + "m"
	}
	return "unknown"
}

// limitsFromHeaders reads the x-codex-* rate-limit headers; false when the
// answer carries none.
func limitsFromHeaders(h http.Header) (Limits, bool) {
	var l Limits
	for _, slot := range []string{"primary", "secondary"} {
		used := h.Get("x-codex-" + slot + "-used-percent")
		if used == "" {
			continue
		}
		pct, err := strconv.ParseFloat(used, 64)
		if err != nil {
			continue
		}
		mins, _ := strconv.ParseInt(h.Get("x-codex-"+slot+"-window-minutes"), 10, 64)
		w := LimitWindow{Name: windowName(mins), WindowMinutes: mins, UsedPercent: pct}
		if at, err := strconv.ParseInt(h.Get("x-codex-"+slot+"-reset-at"), 10, 64); err == nil && at > 0 {
			w.ResetsAt = time.Unix(at, 0).UTC()
		} else if after, err := strconv.ParseInt(h.Get("x-codex-"+slot+"-reset-after-seconds"), 10, 64); err == nil && after >= 0 {
			w.ResetsAt = time.Now().Add(time.Duration(after) * time.Second).UTC().Truncate(time.Second)
		}
		l.Windows = append(l.Windows, w)
	}
	if v := h.Get("x-codex-credits-has-credits"); v != "" {
		l.Credits = &Credits{HasCredits: v == "true" || v == "True", Unlimited: strings.EqualFold(h.Get("x-codex-credits-unlimited"), "true"),
			Balance: h.Get("x-codex-credits-balance")}
	}
	l.PlanType = h.Get("x-codex-plan-type")
	return l, len(l.Windows) > 0
}

// rateLimitEvent is a codex.rate_limits stream event, read tolerantly:
// the windows under rate_limits or at the top.
type rateLimitEvent struct {
	PlanType   string        `json:"plan_type"`
	RateLimits *eventWindows `json:"rate_limits"`
	eventWindows
	Credits *struct {
		HasCredits bool            `json:"has_credits"`
		Unlimited  bool            `json:"unlimited"`
		Balance    json.RawMessage `json:"balance"`
	} `json:"credits"`
}

type eventWindows struct {
	Primary   *eventWindow `json:"primary"`
	Secondary *eventWindow `json:"secondary"`
}

type eventWindow struct {
	UsedPercent   float64 `json:"used_percent"`
	WindowMinutes int64   `json:"window_minutes"`
	ResetAt       int64   `json:"reset_at"`
	ResetsAt      int64   `json:"resets_at"`
	ResetAfter    *int64  `json:"reset_after_seconds"`
}

// limitsFromEvent reads a codex.rate_limits event; false when it holds no
// window.
func limitsFromEvent(raw []byte) (Limits, bool) {
	var ev rateLimitEvent
	if json.Unmarshal(raw, &ev) != nil {
		return Limits{}, false
	}
	ws := ev.eventWindows
	if ev.RateLimits != nil {
		ws = *ev.RateLimits
	}
	l := Limits{PlanType: ev.PlanType}
	for _, w := range []*eventWindow{ws.Primary, ws.Secondary} {
		if w == nil {
			continue
		}
		lw := LimitWindow{Name: windowName(w.WindowMinutes), WindowMinutes: w.WindowMinutes, UsedPercent: w.UsedPercent}
		switch at := max(w.ResetAt, w.ResetsAt); {
		case at > 0:
			lw.ResetsAt = time.Unix(at, 0).UTC()
		case w.ResetAfter != nil:
			lw.ResetsAt = time.Now().Add(time.Duration(*w.ResetAfter) * time.Second).UTC().Truncate(time.Second)
		}
		l.Windows = append(l.Windows, lw)
	}
	if c := ev.Credits; c != nil {
		bal := strings.Trim(string(c.Balance), `"`)
		if bal == "null" {
			bal = ""
		}
		l.Credits = &Credits{HasCredits: c.HasCredits, Unlimited: c.Unlimited, Balance: bal}
	}
	return l, len(l.Windows) > 0
}

// limitsState is the last known limits. Guarded by its mutex.
type limitsState struct {
	mu     sync.Mutex
	loaded bool
	last   *Limits
}

// noteLimits keeps l as the last known limits (in memory and on disk),
// windows ordered shortest first; it returns them as kept.
func (e *Engine) noteLimits(l Limits) Limits {
	sort.SliceStable(l.Windows, func(i, j int) bool { return l.Windows[i].WindowMinutes < l.Windows[j].WindowMinutes })
	l.ObservedAt = time.Now().UTC().Truncate(time.Second)
	s := &e.limits
	s.mu.Lock()
	s.loaded = true
	if l.PlanType == "" && s.last != nil {
		l.PlanType = s.last.PlanType
	}
	kept := l
	s.last = &kept
	s.mu.Unlock()
	if e.cfg.Home != "" {
		if b, err := json.Marshal(l); err == nil {
			path := filepath.Join(e.cfg.Home, limitsFile)
			if os.WriteFile(path+".tmp", b, 0o600) == nil {
				_ = os.Rename(path+".tmp", path)
			}
		}
	}
	return l
}

// Limits is the last known plan limits of the ChatGPT login: from this
// process's turns, else those an earlier process kept; false when none
// were ever seen.
func (e *Engine) Limits() (Limits, bool) {
	s := &e.limits
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		s.loaded = true
		if l, ok := ReadLimits(e.cfg.Home); ok {
			s.last = &l
		}
	}
	if s.last == nil {
		return Limits{}, false
	}
	return *s.last, true
}

// ReadLimits reads the limits kept in home, for `deckhand status`.
func ReadLimits(home string) (Limits, bool) {
	if home == "" {
		return Limits{}, false
	}
	b, err := os.ReadFile(filepath.Join(home, limitsFile))
	if err != nil {
		return Limits{}, false
	}
	var l Limits
	if json.Unmarshal(b, &l) != nil || len(l.Windows) == 0 {
		return Limits{}, false
	}
	return l, true
}

// Line is one window as a person reads it: "5h: 12% used, resets 14:05 UTC".
func (w LimitWindow) Line(now time.Time) string {
	s := fmt.Sprintf("%s: %.0f%% used", w.Name, w.UsedPercent)
	if !w.ResetsAt.IsZero() {
		s += ", resets " + w.ResetsAt.Format(time.RFC3339)
		if d := w.ResetsAt.Sub(now); d > 0 {
			s += " (in " + d.Round(time.Minute).String() + ")"
		}
	}
	return s
}
