package engine

import "context"

// InputModalities are the kinds of input ("text", "image") the catalog
// entry of model ("": the login's default) takes; false when no catalog
// entry says (an API key, an unknown model).
func (e *Engine) InputModalities(ctx context.Context, model string) ([]string, bool) {
	cred, err := e.credential(ctx)
	if err != nil {
		return nil, false
	}
	if model == "" {
		model = e.defaultModel(ctx, cred)
	}
	en, ok := e.entryFor(ctx, cred, model)
	if !ok || len(en.InputModalities) == 0 {
		return nil, false
	}
	return append([]string(nil), en.InputModalities...), true
}
