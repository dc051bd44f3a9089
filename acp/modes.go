package acp

import (
	"context"
	"fmt"

	sdk "github.com/coder/acp-go-sdk"
)

// mode is one of the session modes ACP clients offer in their picker: an
// approval policy and a sandbox mode (PROTOCOL 1.2), named as the
// official Codex adapter names its own.
type mode struct {
	id, name, description string
	approval, sandbox     string
}

// modes are the session modes; the first is the default.
var modes = []mode{
	{"auto", "Auto", "Commands run without asking in a sandbox that writes only the workspace and reaches no network; running one outside it asks.", "on-request", "workspace-write"},
	{"read-only", "Read only", "Commands run without asking in a sandbox that writes nothing; running one outside it asks.", "on-request", "read-only"},
	{"full-access", "Full access", "Commands run outside the sandbox with your full access, without asking. File changes still ask.", "never", "full-access"},
}

// modeOf finds a mode by id; "" is the default.
func modeOf(id string) (mode, bool) {
	if id == "" {
		return modes[0], true
	}
	for _, m := range modes {
		if m.id == id {
			return m, true
		}
	}
	return mode{}, false
}

// modeState is what session/new and session/load answer of the modes.
func modeState(current string) *sdk.SessionModeState {
	m, _ := modeOf(current)
	st := &sdk.SessionModeState{CurrentModeId: sdk.SessionModeId(m.id)}
	for _, m := range modes {
		desc := m.description
		st.AvailableModes = append(st.AvailableModes, sdk.SessionMode{Id: sdk.SessionModeId(m.id), Name: m.name, Description: &desc})
	}
	return st
}

// setMode is session/set_mode: the session's later prompts run under the
// mode's approval policy and sandbox.
func (a *Agent) setMode(ctx context.Context, p sdk.SetSessionModeRequest) (any, error) {
	s, err := a.session(p.SessionId)
	if err != nil {
		return nil, err
	}
	m, ok := modeOf(string(p.ModeId))
	if !ok || p.ModeId == "" {
		return nil, invalidParams(fmt.Sprintf("modeId %q: must be auto, read-only or full-access", p.ModeId))
	}
	s.mu.Lock()
	s.mode = m.id
	s.mu.Unlock()
	return sdk.SetSessionModeResponse{}, nil
}
