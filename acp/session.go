package acp

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	sdk "github.com/coder/acp-go-sdk"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/jsonrpc"
)

// session is what the face keeps of one session: its workspace and its
// config options. The conversation itself is the engine's.
type session struct {
	id  string
	cwd string

	mu      sync.Mutex
	model   string // "" is the login's default
	effort  string
	title   string
	updated time.Time
}

// Config option ids.
const (
	optModel  = "model"
	optEffort = "reasoning_effort"
)

var efforts = []string{"low", "medium", "high"}

func (a *Agent) newSession(ctx context.Context, p sdk.NewSessionRequest) (any, error) {
	if err := a.needLogin(); err != nil {
		return nil, err
	}
	if !filepath.IsAbs(p.Cwd) {
		return nil, invalidParams(fmt.Sprintf("cwd %q must be an absolute path", p.Cwd))
	}
	id, err := a.eng.NewSession(engine.SessionOptions{Root: p.Cwd, Permissions: true, Client: a.view})
	if err != nil {
		return nil, err
	}
	s := &session{id: id, cwd: realPath(p.Cwd), effort: "medium", updated: time.Now()}
	a.mu.Lock()
	a.sessions[s.id] = s
	a.mu.Unlock()
	opts, err := a.configOptions(ctx, s)
	if err != nil {
		return nil, err
	}
	return sdk.NewSessionResponse{SessionId: sdk.SessionId(s.id), ConfigOptions: opts}, nil
}

// realPath is the path the engine confines a session to: cwd with its
// symbolic links resolved.
func realPath(cwd string) string {
	if real, err := filepath.EvalSymlinks(cwd); err == nil {
		return real
	}
	return filepath.Clean(cwd)
}

// rootOf returns a session's workspace root, "" for an unknown session.
func (a *Agent) rootOf(id string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s := a.sessions[id]; s != nil {
		return s.cwd
	}
	return ""
}

func (a *Agent) session(id sdk.SessionId) (*session, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[string(id)]
	if s == nil {
		return nil, &jsonrpc.Error{Code: codeResourceNotFound,
			Message: fmt.Sprintf("Unknown session %q: start one with session/new.", id)}
	}
	return s, nil
}

// canLoad says whether session/load can replay a session.
func (a *Agent) canLoad() bool { return false }

func (a *Agent) loadSession(ctx context.Context, p sdk.LoadSessionRequest) (any, error) {
	if err := a.needLogin(); err != nil {
		return nil, err
	}
	return nil, &jsonrpc.Error{Code: codeResourceNotFound,
		Message: fmt.Sprintf("Session %q cannot be loaded: this deckhand keeps sessions only while it runs.", p.SessionId)}
}

func (a *Agent) listSessions(ctx context.Context, p sdk.ListSessionsRequest) (any, error) {
	if err := a.needLogin(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	all := make([]*session, 0, len(a.sessions))
	for _, s := range a.sessions {
		all = append(all, s)
	}
	a.mu.Unlock()
	out := sdk.ListSessionsResponse{Sessions: []sdk.SessionInfo{}}
	for _, s := range all {
		if p.Cwd != nil && realPath(*p.Cwd) != s.cwd {
			continue
		}
		s.mu.Lock()
		info := sdk.SessionInfo{SessionId: sdk.SessionId(s.id), Cwd: s.cwd, UpdatedAt: sdk.Ptr(s.updated.UTC().Format(time.RFC3339))}
		if s.title != "" {
			info.Title = sdk.Ptr(s.title)
		}
		s.mu.Unlock()
		out.Sessions = append(out.Sessions, info)
	}
	sort.Slice(out.Sessions, func(i, j int) bool { return *out.Sessions[i].UpdatedAt > *out.Sessions[j].UpdatedAt })
	return out, nil
}

// configOptions are the session's model and reasoning effort selectors.
func (a *Agent) configOptions(ctx context.Context, s *session) ([]sdk.SessionConfigOption, error) {
	models, def, err := a.modelList(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	model, effort := s.model, s.effort
	s.mu.Unlock()
	if model == "" {
		model = def
	}
	modelOpts := sdk.SessionConfigSelectOptionsUngrouped{}
	for _, m := range models {
		modelOpts = append(modelOpts, sdk.SessionConfigSelectOption{Value: sdk.SessionConfigValueId(m.ID), Name: m.Label})
	}
	effortOpts := sdk.SessionConfigSelectOptionsUngrouped{}
	for _, e := range efforts {
		effortOpts = append(effortOpts, sdk.SessionConfigSelectOption{Value: sdk.SessionConfigValueId(e), Name: strings.ToUpper(e[:1]) + e[1:]})
	}
	return []sdk.SessionConfigOption{
		{Select: &sdk.SessionConfigOptionSelect{Type: "select", Id: optModel, Name: "Model",
			Category: sdk.Ptr(sdk.SessionConfigOptionCategoryModel), CurrentValue: sdk.SessionConfigValueId(model),
			Options: sdk.SessionConfigSelectOptions{Ungrouped: &modelOpts}}},
		{Select: &sdk.SessionConfigOptionSelect{Type: "select", Id: optEffort, Name: "Reasoning effort",
			Category: sdk.Ptr(sdk.SessionConfigOptionCategoryThoughtLevel), CurrentValue: sdk.SessionConfigValueId(effort),
			Options: sdk.SessionConfigSelectOptions{Ungrouped: &effortOpts}}},
	}, nil
}

// modelList returns the login's models, asked once per connection.
func (a *Agent) modelList(ctx context.Context) ([]engine.Model, string, error) {
	a.mu.Lock()
	models, def := a.models, a.defModel
	a.mu.Unlock()
	if models != nil {
		return models, def, nil
	}
	models, def, err := a.eng.Models(ctx)
	if err != nil {
		return nil, "", err
	}
	a.mu.Lock()
	a.models, a.defModel = models, def
	a.mu.Unlock()
	return models, def, nil
}

// setOptionParams is session/set_config_option with a string value (the
// SDK's request type is a union that does not decode on its own).
type setOptionParams struct {
	SessionID sdk.SessionId `json:"sessionId"`
	ConfigID  string        `json:"configId"`
	Value     any           `json:"value"`
}

func (a *Agent) setConfigOption(ctx context.Context, p setOptionParams) (any, error) {
	s, err := a.session(p.SessionID)
	if err != nil {
		return nil, err
	}
	value, ok := p.Value.(string)
	if !ok {
		return nil, invalidParams(fmt.Sprintf("value of %q must be a string", p.ConfigID))
	}
	if err := a.setOption(ctx, s, p.ConfigID, value); err != nil {
		return nil, err
	}
	opts, err := a.configOptions(ctx, s)
	if err != nil {
		return nil, err
	}
	return sdk.SetSessionConfigOptionResponse{ConfigOptions: opts}, nil
}

func (a *Agent) setOption(ctx context.Context, s *session, id, value string) error {
	switch id {
	case optModel:
		models, _, err := a.modelList(ctx)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(models, func(m engine.Model) bool { return m.ID == value }) {
			return invalidParams(fmt.Sprintf("model %q is not one of this login's models", value))
		}
		s.mu.Lock()
		s.model = value
		s.mu.Unlock()
	case optEffort:
		if !slices.Contains(efforts, value) {
			return invalidParams(fmt.Sprintf("reasoning effort %q must be low, medium or high", value))
		}
		s.mu.Lock()
		s.effort = value
		s.mu.Unlock()
	default:
		return invalidParams(fmt.Sprintf("unknown config option %q; deckhand has %q and %q", id, optModel, optEffort))
	}
	return nil
}

// setModel serves the legacy session/set_model some clients still send.
func (a *Agent) setModel(ctx context.Context, p struct {
	SessionID sdk.SessionId `json:"sessionId"`
	ModelID   string        `json:"modelId"`
}) (any, error) {
	s, err := a.session(p.SessionID)
	if err != nil {
		return nil, err
	}
	if err := a.setOption(ctx, s, optModel, p.ModelID); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *Agent) prompt(ctx context.Context, p sdk.PromptRequest) (any, error) {
	if err := a.needLogin(); err != nil {
		return nil, err
	}
	s, err := a.session(p.SessionId)
	if err != nil {
		return nil, err
	}
	text, err := promptText(p.Prompt)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	req := engine.ChatRequest{SessionID: s.id, Message: text, Model: s.model, Effort: s.effort}
	if s.title == "" {
		s.title = titleOf(text)
	}
	s.updated = time.Now()
	s.mu.Unlock()
	res, err := a.eng.Chat(ctx, req)
	if err != nil {
		return nil, err
	}
	return sdk.PromptResponse{StopReason: stopReason(res.StopReason)}, nil
}

func stopReason(r engine.StopReason) sdk.StopReason {
	switch r {
	case engine.StopCancelled:
		return sdk.StopReasonCancelled
	case engine.StopMaxSteps:
		return sdk.StopReasonMaxTurnRequests
	}
	return sdk.StopReasonEndTurn
}

// cancel is session/cancel: the running turn ends and its prompt answers
// stopReason cancelled.
func (a *Agent) cancel(ctx context.Context, raw json.RawMessage) {
	var p sdk.CancelNotification
	if json.Unmarshal(raw, &p) != nil || p.SessionId == "" {
		a.log.Debug("session/cancel without a sessionId ignored")
		return
	}
	_, _ = a.eng.CancelSession(string(p.SessionId))
}

// titleOf is a session's title: the start of its first message.
func titleOf(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	if r := []rune(line); len(r) > 80 {
		line = string(r[:79]) + "…"
	}
	return line
}
