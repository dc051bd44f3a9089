package acp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
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
	// announced: the client was told the session's commands.
	announced bool
	// used and size: the context window after the last turn (size 0:
	// unknown).
	used, size int64
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
	s := &session{id: id, cwd: realPath(p.Cwd), effort: a.defaultEffort(ctx, ""), updated: time.Now()}
	a.mu.Lock()
	a.sessions[s.id] = s
	a.mu.Unlock()
	opts, err := a.configOptions(ctx, s)
	if err != nil {
		return nil, err
	}
	// The commands go out once the client knows the session's id.
	jsonrpc.AfterReply(ctx, func() { a.announceCommands(s) })
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
	opts, err := a.reopen(ctx, p.SessionId, p.Cwd, mcpServers(p.McpServers), true)
	current := ""
	if s, serr := a.session(p.SessionId); serr == nil {
		s.mu.Lock()
		current = s.mode
		s.mu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	return sdk.LoadSessionResponse{ConfigOptions: opts, Modes: modeState(current)}, nil
}

// resumeSession is session/resume: session/load without the replay, for a
// client that still shows the conversation.
func (a *Agent) resumeSession(ctx context.Context, p sdk.ResumeSessionRequest) (any, error) {
	opts, err := a.reopen(ctx, p.SessionId, p.Cwd, mcpServers(p.McpServers), false)
	if err != nil {
		return nil, err
	}
	return sdk.ResumeSessionResponse{ConfigOptions: opts}, nil
}

// closeSession is session/close: the running turn is cancelled and the
// session leaves memory (it stays stored: session/load brings it back).
func (a *Agent) closeSession(ctx context.Context, p sdk.CloseSessionRequest) (any, error) {
	s, err := a.session(p.SessionId)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.stop != nil {
		s.stop()
	}
	s.mu.Unlock()
	_, _ = a.eng.CancelSession(s.id)
	for {
		_, err := a.eng.CloseSession(s.id)
		var busy *engine.SessionBusyError
		if !errors.As(err, &busy) {
			break // closed, or already out of memory
		}
		// The cancelled turn is ending.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	a.mu.Lock()
	delete(a.sessions, s.id)
	a.mu.Unlock()
	return sdk.CloseSessionResponse{}, nil
}

// reopen makes a stored session (from this process or an earlier one) this
// client's, in cwd, replaying it first when asked.
func (a *Agent) reopen(ctx context.Context, sid sdk.SessionId, cwd string, servers []engine.MCPServer, replay bool) ([]sdk.SessionConfigOption, error) {
	if err := a.needLogin(); err != nil {
		return nil, err
	}
	if !filepath.IsAbs(cwd) {
		return nil, invalidParams(fmt.Sprintf("cwd %q must be an absolute path", cwd))
	}
	id := string(sid)
	sum, turns, err := a.eng.LoadSession(id)
	if err != nil {
		return nil, err
	}
	if err := a.eng.ResumeSession(id, engine.SessionOptions{Root: cwd, Permissions: true, Client: a.view, MCPServers: servers}); err != nil {
		return nil, err
	}
	a.mu.Lock()
	s := a.sessions[id]
	if s == nil {
		// The model and effort are those the session chose: its last turn's.
		// A session without a stored effort gets its model's default below.
		s = &session{id: id, cwd: realPath(cwd), model: sum.Model, effort: sum.Effort, title: sum.Title, updated: sum.UpdatedAt}
		a.sessions[id] = s
	}
	a.mu.Unlock()
	models, _, err := a.modelList(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cwd = realPath(cwd)
	if !slices.ContainsFunc(models, func(m engine.Model) bool { return m.ID == s.model }) {
		s.model = "" // not one of this login's models: the login's default
	}
	model, effort := s.model, s.effort
	s.mu.Unlock()
	if !slices.Contains(efforts, effort) {
		effort = a.defaultEffort(ctx, model)
		s.mu.Lock()
		if !slices.Contains(efforts, s.effort) {
			s.effort = effort
		}
		s.mu.Unlock()
	}
	if replay {
		for _, t := range turns {
			a.replay(s, t)
		}
	}
	if n := len(turns); n > 0 {
		a.noteUsage(s, turns[n-1].Usage) // how full the window is now
	}
	a.announceCommands(s)
	return a.configOptions(ctx, s)
}

// replay sends one stored turn in the order it happened: the user's
// message, then its text, reasoning (as thought chunks) and tool calls,
// each call finished with its outcome and, for write and edit, its diff.
func (a *Agent) replay(s *session, t engine.StoredTurn) {
	if t.Message != "" {
		a.view.update(s.id, sdk.UpdateUserMessageText(t.Message))
	}
	said := ""
	for _, part := range t.Parts {
		switch part.Kind {
		case engine.PartText:
			if said != "" {
				said += "\n\n" // as the turn's text joins its steps
			}
			said += part.Text
			a.view.update(s.id, sdk.UpdateAgentMessageText(part.Text))
		case engine.PartReasoning:
			a.view.update(s.id, sdk.UpdateAgentThoughtText(part.Text))
		case engine.PartTool:
			if part.Tool >= 0 && part.Tool < len(t.Tools) {
				a.replayTool(s, t.Tools[part.Tool])
			}
		}
	}
	// The turn's answer may hold more than its finished steps (a cancelled
	// step's text), or, from an older file, come with no parts at all.
	if len(t.Parts) == 0 {
		for _, c := range t.Tools {
			a.replayTool(s, c)
		}
	}
	if rest, ok := strings.CutPrefix(t.Text, said); ok && strings.TrimSpace(rest) != "" {
		a.view.update(s.id, sdk.UpdateAgentMessageText(rest))
	}
	if t.Error != "" {
		a.view.update(s.id, sdk.UpdateAgentMessageText("\n\n(The turn failed: "+t.Error+")"))
	}
}

// replayTool sends one stored call as a finished tool_call.
func (a *Agent) replayTool(s *session, c engine.StoredTool) {
	v := viewOf(s.cwd, c.Name, c.Arguments)
	status := sdk.ToolCallStatusCompleted
	if !c.OK {
		status = sdk.ToolCallStatusFailed
	}
	out := c.Output
	var content []sdk.ToolCallContent
	if d, ok := storedDiff(v, c); ok {
		content = append(content, d)
		out = withoutUnifiedDiff(out)
	}
	if out := strings.TrimSpace(out); out != "" {
		content = append(content, sdk.ToolContent(sdk.TextBlock(fenced(out))))
	}
	a.view.update(s.id, sdk.SessionUpdate{ToolCall: &sdk.SessionUpdateToolCall{
		SessionUpdate: "tool_call", ToolCallId: sdk.ToolCallId(c.CallID), Title: v.title, Kind: v.kind,
		Status: status, Locations: v.locations, RawInput: c.Arguments, Content: content,
	}})
}

// storedDiff is the diff a finished write or edit showed, as far as its
// arguments tell: an edit's replaced text, a created file's content. A
// write over an existing file has no old text to show.
func storedDiff(v toolView, c engine.StoredTool) (sdk.ToolCallContent, bool) {
	if !c.OK || len(v.locations) == 0 {
		return sdk.ToolCallContent{}, false
	}
	var p struct {
		Content   *string `json:"content"`
		OldString *string `json:"oldString"`
		NewString *string `json:"newString"`
	}
	if json.Unmarshal(c.Arguments, &p) != nil {
		return sdk.ToolCallContent{}, false
	}
	path := v.locations[0].Path
	switch {
	case c.Name == "edit" && p.OldString != nil && p.NewString != nil:
		return sdk.ToolCallContent{Diff: &sdk.ToolCallContentDiff{Type: "diff", Path: path, OldText: p.OldString, NewText: *p.NewString}}, true
	case c.Name == "write" && p.Content != nil && strings.HasSuffix(strings.TrimSpace(c.Output), "(created)"):
		return sdk.ToolCallContent{Diff: &sdk.ToolCallContentDiff{Type: "diff", Path: path, NewText: *p.Content}}, true
	}
	return sdk.ToolCallContent{}, false
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
	sort.Slice(out.Sessions, func(i, j int) bool { return listedBefore(out.Sessions[i], out.Sessions[j]) })
	if p.Cursor != nil {
		after, err := decodeCursor(*p.Cursor)
		if err != nil {
			return nil, invalidParams(fmt.Sprintf("cursor %q is not one session/list gave", *p.Cursor))
		}
		i := sort.Search(len(out.Sessions), func(i int) bool { return listedBefore(after, out.Sessions[i]) })
		out.Sessions = out.Sessions[i:]
	}
	if len(out.Sessions) > listPage {
		out.Sessions = out.Sessions[:listPage]
		out.NextCursor = sdk.Ptr(encodeCursor(out.Sessions[listPage-1]))
	}
	return out, nil
}

// listPage is how many sessions one session/list answer holds at most.
const listPage = 50

// listedBefore orders session/list: newest first, then by id, so that a
// cursor (the last session a page held) says where the next page starts.
func listedBefore(a, b sdk.SessionInfo) bool {
	if *a.UpdatedAt != *b.UpdatedAt {
		return *a.UpdatedAt > *b.UpdatedAt
	}
	return a.SessionId < b.SessionId
}

type listCursor struct {
	UpdatedAt string `json:"u"`
	SessionID string `json:"s"`
}

func encodeCursor(last sdk.SessionInfo) string {
	b, _ := json.Marshal(listCursor{UpdatedAt: *last.UpdatedAt, SessionID: string(last.SessionId)})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (sdk.SessionInfo, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return sdk.SessionInfo{}, err
	}
	var c listCursor
	if err := json.Unmarshal(b, &c); err != nil {
		return sdk.SessionInfo{}, err
	}
	if c.UpdatedAt == "" || c.SessionID == "" {
		return sdk.SessionInfo{}, fmt.Errorf("incomplete cursor")
	}
	return sdk.SessionInfo{SessionId: sdk.SessionId(c.SessionID), UpdatedAt: sdk.Ptr(c.UpdatedAt)}, nil
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

// defaultEffort is the reasoning effort a session of model ("" : the
// login's default model) starts with: the model's catalog default, medium
// where no catalog says.
func (a *Agent) defaultEffort(ctx context.Context, model string) string {
	models, def, err := a.modelList(ctx)
	if err != nil {
		return "medium"
	}
	if model == "" {
		model = def
	}
	for _, m := range models {
		if m.ID == model && slices.Contains(efforts, m.DefaultEffort) {
			return m.DefaultEffort
		}
	}
	return "medium"
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
	// Kept with the session, for a later process that loads it.
	s.mu.Lock()
	model, effort := s.model, s.effort
	s.mu.Unlock()
	if err := a.eng.KeepSettings(s.id, model, effort); err != nil {
		a.log.Debug("session settings not stored now; the next turn stores them", zap.String("session", s.id), zap.Error(err))
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

func (a *Agent) prompt(ctx context.Context, pr promptRequest) (any, error) {
	p := pr.PromptRequest
	if err := a.needLogin(); err != nil {
		return nil, err
	}
	if err := pr.checkTypes(); err != nil {
		return nil, err
	}
	s, err := a.session(p.SessionId)
	if err != nil {
		return nil, err
	}
	if err := a.checkMedia(ctx, s, p.Prompt); err != nil {
		return nil, err
	}
	text, atts, err := promptParts(a.rootOf(s.id), p.Prompt)
	if err != nil {
		return nil, err
	}
	a.announceCommands(s)
	if reply, ok := a.command(ctx, s, text); ok {
		a.view.update(s.id, sdk.UpdateAgentMessageText(reply))
		return sdk.PromptResponse{StopReason: sdk.StopReasonEndTurn}, nil
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
	u := res.Usage
	a.noteUsage(s, u)
	a.citeSources(s.id, res.Sources)
	return sdk.PromptResponse{StopReason: stopReason(res.StopReason), Usage: &sdk.Usage{
		InputTokens: int(u.InputTokens), OutputTokens: int(u.OutputTokens), TotalTokens: int(u.InputTokens + u.OutputTokens)}}, nil
}

func stopReason(r engine.StopReason) sdk.StopReason {
	switch r {
	case engine.StopCancelled:
		return sdk.StopReasonCancelled
	case engine.StopMaxSteps:
		return sdk.StopReasonMaxTurnRequests
	case engine.StopMaxTokens:
		return sdk.StopReasonMaxTokens
	case engine.StopRefusal:
		return sdk.StopReasonRefusal
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

// noteUsage keeps how full the session's context window is and tells the
// client (usage_update), when the model's window is known.
func (a *Agent) noteUsage(s *session, u engine.Usage) {
	if u.ContextWindow <= 0 {
		return
	}
	s.noteUsage(u)
	a.view.update(s.id, sdk.SessionUpdate{UsageUpdate: &sdk.SessionUsageUpdate{SessionUpdate: "usage_update",
		Used: int(u.ContextTokens), Size: int(u.ContextWindow), Meta: a.limitsMeta()}})
}

// titleOf is a session's title: the start of its first message.
func titleOf(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	if r := []rune(line); len(r) > 80 {
		line = string(r[:79]) + "…"
	}
	return line
}

// checkMedia refuses a prompt's audio, and its images where the model's
// catalog entry takes none (or no catalog describes the model), with the
// reason.
func (a *Agent) checkMedia(ctx context.Context, s *session, blocks []sdk.ContentBlock) error {
	var image, audio bool
	for _, b := range blocks {
		image = image || b.Image != nil
		audio = audio || b.Audio != nil
	}
	if !image && !audio {
		return nil
	}
	s.mu.Lock()
	model := s.model
	s.mu.Unlock()
	if model == "" {
		_, model, _ = a.modelList(ctx)
	}
	if audio {
		return invalidParams(fmt.Sprintf("audio is not supported in prompts: the model %s takes no audio input", model))
	}
	mods, known := a.eng.InputModalities(ctx, model)
	if !slices.Contains(mods, "image") {
		if known {
			return invalidParams(fmt.Sprintf("images are not supported in prompts: the model %s takes %s input only; pick a model that takes images", model, strings.Join(mods, " and ")))
		}
		return invalidParams(fmt.Sprintf("images are not supported in prompts: no catalog says the model %s takes images", model))
	}
	return nil // the images go to the model as attachments
}
