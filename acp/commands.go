package acp

import (
	"context"
	"fmt"
	"strings"
	"time"

	sdk "github.com/coder/acp-go-sdk"

	"github.com/deckhand-dev/deckhand/engine"
)

// deckhand's slash commands: a prompt whose text is one of them is answered
// by deckhand itself, without the model.
var commands = []sdk.AvailableCommand{
	{Name: "undo", Description: "Put back the files the last turn with changes wrote or edited (bash changes stay)"},
	{Name: "compact", Description: "Compact the conversation now, to free the context window (the model summarises what came before)"},
	{Name: "new", Description: "Start the conversation over in this session: the model forgets the earlier turns"},
	{Name: "status", Description: "Show the login, the model, the reasoning effort, how full the context window is and the plan's limits"},
}

// announceCommands tells the client the session's commands, once: right
// after session/new answers, or with a loaded or resumed session (and at
// the first prompt, should that have been missed).
func (a *Agent) announceCommands(s *session) {
	s.mu.Lock()
	done := s.announced
	s.announced = true
	s.mu.Unlock()
	if !done {
		a.view.update(s.id, sdk.SessionUpdate{AvailableCommandsUpdate: &sdk.SessionAvailableCommandsUpdate{
			SessionUpdate: "available_commands_update", AvailableCommands: commands}})
	}
}

// command runs a slash command when text is one; ok is false otherwise.
func (a *Agent) command(ctx context.Context, s *session, text string) (reply string, ok bool) {
	name, _, _ := strings.Cut(strings.TrimSpace(text), " ")
	switch name {
	case "/undo":
		return a.undo(ctx, s), true
	case "/status":
		return a.status(ctx, s), true
	case "/compact":
		return a.compact(ctx, s), true
	case "/new":
		return a.clear(s), true
	}
	return "", false
}

func (a *Agent) undo(ctx context.Context, s *session) string {
	res, err := a.eng.Undo(ctx, s.id, "", false)
	if err != nil {
		return "Nothing was undone: " + sentence(strings.TrimPrefix(err.Error(), "invalid params: "))
	}
	var b strings.Builder
	if len(res.Restored) == 0 {
		b.WriteString("No file needed putting back.")
	} else {
		fmt.Fprintf(&b, "Put back %s.", strings.Join(res.Restored, ", "))
	}
	for _, sk := range res.Skipped {
		fmt.Fprintf(&b, "\n- %s was left as it is: %s", sk.Path, sk.Reason)
	}
	if res.RanBash {
		b.WriteString("\nThat turn also ran commands; what they changed is not undone.")
	}
	return b.String()
}

func (a *Agent) status(ctx context.Context, s *session) string {
	var b strings.Builder
	switch st := a.eng.Status(); st.Type {
	case "oauth":
		b.WriteString("Logged in with ChatGPT")
		if st.AccountID != "" {
			fmt.Fprintf(&b, " (account %s)", st.AccountID)
		}
		b.WriteString(".")
	case "api":
		b.WriteString("Using an OpenAI API key")
		if st.Source == "env" {
			b.WriteString(" from OPENAI_API_KEY")
		}
		b.WriteString(".")
	default:
		b.WriteString("Not logged in.")
	}
	_, def, _ := a.modelList(ctx)
	s.mu.Lock()
	model, effort, used, size := s.model, s.effort, s.used, s.size
	s.mu.Unlock()
	if model == "" {
		model = def
	}
	fmt.Fprintf(&b, "\nModel: %s, reasoning effort %s.", model, effort)
	if size > 0 {
		fmt.Fprintf(&b, "\nContext: %d of %d tokens (%d%%).", used, size, used*100/size)
	} else {
		b.WriteString("\nContext: no turn yet.")
	}
	if l, ok := a.limits(); ok {
		b.WriteString("\nPlan limits")
		if l.PlanType != "" {
			fmt.Fprintf(&b, " (%s)", l.PlanType)
		}
		b.WriteString(":")
		now := time.Now()
		for _, w := range l.Windows {
			b.WriteString("\n- " + w.Line(now))
		}
	}
	fmt.Fprintf(&b, "\nWorkspace: %s", s.cwd)
	return b.String()
}

// noteUsage keeps how full the context window was after a turn, for
// /status.
func (s *session) noteUsage(u engine.Usage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ContextWindow > 0 {
		s.used, s.size = u.ContextTokens, u.ContextWindow
	}
}

// limits are the ChatGPT plan's usage windows as the service last said
// them; false on an API key or before any was seen.
func (a *Agent) limits() (engine.Limits, bool) {
	if a.eng.Status().Type != "oauth" {
		return engine.Limits{}, false
	}
	return a.eng.Limits()
}

// limitsMeta is the plan limits as usage_update carries them: ACP's usage
// has no field for them, so they go under _meta ("deckhand/limits"), nil
// when there are none.
func (a *Agent) limitsMeta() map[string]any {
	l, ok := a.limits()
	if !ok {
		return nil
	}
	windows := make([]map[string]any, 0, len(l.Windows))
	for _, w := range l.Windows {
		m := map[string]any{"name": w.Name, "windowMinutes": w.WindowMinutes, "usedPercent": w.UsedPercent}
		if !w.ResetsAt.IsZero() {
			m["resetsAt"] = w.ResetsAt.UTC().Format(time.RFC3339)
		}
		windows = append(windows, m)
	}
	out := map[string]any{"windows": windows}
	if l.PlanType != "" {
		out["planType"] = l.PlanType
	}
	return map[string]any{"deckhand/limits": out}
}

func (a *Agent) compact(ctx context.Context, s *session) string {
	s.mu.Lock()
	model, effort := s.model, s.effort
	s.mu.Unlock()
	before, after, err := a.eng.CompactSession(ctx, s.id, model, effort)
	if err != nil {
		return "Nothing was compacted: " + sentence(strings.TrimPrefix(err.Error(), "invalid params: "))
	}
	s.mu.Lock()
	size := s.size
	s.mu.Unlock()
	a.noteUsage(s, engine.Usage{ContextTokens: after, ContextWindow: size})
	return fmt.Sprintf("Compacted the conversation: about %d tokens before, %d now.", before, after)
}

func (a *Agent) clear(s *session) string {
	if err := a.eng.ClearSession(s.id); err != nil {
		return "The conversation goes on as it was: " + sentence(strings.TrimPrefix(err.Error(), "invalid params: "))
	}
	s.mu.Lock()
	size := s.size
	s.mu.Unlock()
	if size > 0 {
		a.noteUsage(s, engine.Usage{ContextTokens: 0, ContextWindow: size})
	}
	return "Started over: the next prompt begins a new conversation in this session."
}
