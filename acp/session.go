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
	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/engine"
	"github.com/deckhand-dev/deckhand/jsonrpc"
)

// session is what the face keeps of one session: its workspace and its
// config options. The conversation itself is the engine's.
type session struct {
	id  string
	cwd string

	mu      sync.Mutex
	stop    context.CancelFunc // ends the prompt in flight; nil when none
	model   string             // "" is the login's default
	effort  string
	title   string
	updated time.Time
	mode    string // the session mode (modes.go); "" is the default
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
	id, err := a.eng.NewSession(engine.SessionOptions{Root: p.Cwd, Permissions: true, Client: a.view, MCPServers: mcpServers(p.McpServers)})
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
	return sdk.NewSessionResponse{SessionId: sdk.SessionId(s.id), ConfigOptions: opts, Modes: modeState("")}, nil
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

// canLoad says whether session/load can replay a session: sessions are
// stored, so a later process can.
func (a *Agent) canLoad() bool { return true }

// loadSession replays a stored session (from this process or an earlier
// one) as session/update notifications, then answers: the ordered output
// queue writes them all before the answer, as ACP requires. The session
// then continues in cwd, with this client.
func (a *Agent) loadSession(ctx context.Context, p sdk.LoadSessionRequest) (any, error) {
	if err := a.needLogin(); err != nil {
		return nil, err
	}
	if !filepath.IsAbs(p.Cwd) {
		return nil, invalidParams(fmt.Sprintf("cwd %q must be an absolute path", p.Cwd))
	}
	id := string(p.SessionId)
	sum, turns, err := a.eng.LoadSession(id)
	if err != nil {
		return nil, err
	}
	if err := a.eng.ResumeSession(id, engine.SessionOptions{Root: p.Cwd, Permissions: true, Client: a.view, MCPServers: mcpServers(p.McpServers)}); err != nil {
		return nil, err
	}
	a.mu.Lock()
	s := a.sessions[id]
	if s == nil {
		s = &session{id: id, cwd: realPath(p.Cwd), model: sum.Model, effort: "medium", title: sum.Title, updated: sum.UpdatedAt}
		a.sessions[id] = s
	}
	a.mu.Unlock()
	s.mu.Lock()
	s.cwd = realPath(p.Cwd)
	current := s.mode
	s.mu.Unlock()
	for _, t := range turns {
		a.replay(s, t)
	}
	opts, err := a.configOptions(ctx, s)
	if err != nil {
		return nil, err
	}
	return sdk.LoadSessionResponse{ConfigOptions: opts, Modes: modeState(current)}, nil
}

// replay sends one stored turn: the user's message, each tool call with its
// outcome, the answer.
func (a *Agent) replay(s *session, t engine.StoredTurn) {
	if t.Message != "" {
		a.view.update(s.id, sdk.UpdateUserMessageText(t.Message))
	}
	for _, c := range t.Tools {
		v := viewOf(s.cwd, c.Name, c.Arguments)
		status := sdk.ToolCallStatusCompleted
		if !c.OK {
			status = sdk.ToolCallStatusFailed
		}
		var content []sdk.ToolCallContent
		if out := strings.TrimSpace(c.Output); out != "" {
			content = append(content, sdk.ToolContent(sdk.TextBlock(fenced(out))))
		}
		a.view.update(s.id, sdk.SessionUpdate{ToolCall: &sdk.SessionUpdateToolCall{
			SessionUpdate: "tool_call", ToolCallId: sdk.ToolCallId(c.CallID), Title: v.title, Kind: v.kind,
			Status: status, Locations: v.locations, RawInput: c.Arguments, Content: content,
		}})
	}
	if t.Text != "" {
		a.view.update(s.id, sdk.UpdateAgentMessageText(t.Text))
	}
	if t.Error != "" {
		a.view.update(s.id, sdk.UpdateAgentMessageText("\n\n(The turn failed: "+t.Error+")"))
	}
}

// listSessions lists the stored sessions, of cwd when given, newest first,
// and the sessions of this connection that have no turn on disk yet.
func (a *Agent) listSessions(ctx context.Context, p sdk.ListSessionsRequest) (any, error) {
	if err := a.needLogin(); err != nil {
		return nil, err
	}
	root := ""
	if p.Cwd != nil {
		if !filepath.IsAbs(*p.Cwd) {
			return nil, invalidParams(fmt.Sprintf("cwd %q must be an absolute path", *p.Cwd))
		}
		root = realPath(*p.Cwd)
	}
	stored, err := a.eng.ListSessions(root, 0)
	if err != nil {
		return nil, err
	}
	out := sdk.ListSessionsResponse{Sessions: []sdk.SessionInfo{}}
	seen := map[string]bool{}
	for _, sum := range stored {
		if sum.Broken {
			a.log.Warn("a stored session cannot be read", zap.String("session", sum.SessionID), zap.String("error", sum.Error))
			continue
		}
		seen[sum.SessionID] = true
		info := sdk.SessionInfo{SessionId: sdk.SessionId(sum.SessionID), Cwd: sum.WorkspaceRoot,
			UpdatedAt: sdk.Ptr(sum.UpdatedAt.UTC().Format(time.RFC3339))}
		if sum.Title != "" {
			info.Title = sdk.Ptr(sum.Title)
		}
		out.Sessions = append(out.Sessions, info)
	}
	a.mu.Lock()
	var fresh []*session
	for id, s := range a.sessions {
		if !seen[id] {
			fresh = append(fresh, s)
		}
	}
	a.mu.Unlock()
	for _, s := range fresh {
		s.mu.Lock()
		info := sdk.SessionInfo{SessionId: sdk.SessionId(s.id), Cwd: s.cwd, UpdatedAt: sdk.Ptr(s.updated.UTC().Format(time.RFC3339))}
		if s.title != "" {
			info.Title = sdk.Ptr(s.title)
		}
		s.mu.Unlock()
		if root == "" || info.Cwd == root {
			out.Sessions = append(out.Sessions, info)
		}
	}
	sort.SliceStable(out.Sessions, func(i, j int) bool { return *out.Sessions[i].UpdatedAt > *out.Sessions[j].UpdatedAt })
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
	text, atts, err := promptParts(p.Prompt)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	req := engine.ChatRequest{SessionID: s.id, Message: text, Model: s.model, Effort: s.effort, Attachments: atts}
	m, _ := modeOf(s.mode)
	req.ApprovalPolicy, req.Sandbox = m.approval, m.sandbox
	titled := s.title == ""
	if titled {
		s.title = titleOf(text)
	}
	s.updated = time.Now()
	title, updated := s.title, s.updated.UTC().Format(time.RFC3339)
	s.mu.Unlock()
	if titled {
		a.view.update(s.id, sdk.SessionUpdate{SessionInfoUpdate: &sdk.SessionSessionInfoUpdate{
			SessionUpdate: "session_info_update", Title: sdk.Ptr(title), UpdatedAt: sdk.Ptr(updated)}})
	}
	// session/cancel ends this context too: a cancel that arrives before
	// the engine has started the turn still ends it.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	s.mu.Lock()
	mine := s.stop == nil // a second prompt is refused as busy by the engine
	if mine {
		s.stop = stop
	}
	s.mu.Unlock()
	defer func() {
		if mine {
			s.mu.Lock()
			s.stop = nil
			s.mu.Unlock()
		}
	}()
	res, err := a.eng.Chat(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return sdk.PromptResponse{StopReason: sdk.StopReasonCancelled}, nil
		}
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
	a.mu.Lock()
	s := a.sessions[string(p.SessionId)]
	a.mu.Unlock()
	if s != nil {
		s.mu.Lock()
		if s.stop != nil {
			s.stop()
		}
		s.mu.Unlock()
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
