package engine

// reportUsage tells the editor, mid-turn, the turn's tokens so far and how
// full the context window is with history, so that a context gauge moves
// during a long turn rather than only at its end.
func (t *turn) reportUsage(so Usage, history []Item) {
	so.ContextTokens, so.ContextWindow = t.contextTokens(history), t.window
	t.emit(TurnEvent{Kind: EventUsage, Usage: &so})
}
