package engine

import (
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"

	"github.com/deckhand-dev/deckhand/tools"
)

// The tools a request declares. A function tool carries its JSON schema; a
// freeform tool (apply_patch) is a custom tool whose input is held to a Lark
// grammar; the hosted web search is the service's own tool, which deckhand
// only switches on.

// WebSearch is how a model gets the hosted web_search tool.
type WebSearch struct {
	// Type is the entry's web_search_tool_type: "" for none, "text", or
	// "text_and_image" (results may hold images).
	Type string
	// Live lets the search reach the web; by default it answers from the
	// service's cache (external_web_access false), as the models' own
	// client does.
	Live bool
}

// declareTools declares ts, then the web search when it is on, in the order
// and shape the models' own client sends them.
func declareTools(ts []tools.Tool, web WebSearch) []responses.ToolUnionParam {
	defs := make([]responses.ToolUnionParam, 0, len(ts)+1)
	for _, tool := range ts {
		if ff, ok := tool.(tools.Freeform); ok {
			syntax, def := ff.Grammar()
			defs = append(defs, responses.ToolUnionParam{OfCustom: &responses.CustomToolParam{
				Name:        tool.Name(),
				Description: param.NewOpt(tool.Description()),
				Format: shared.CustomToolInputFormatUnionParam{OfGrammar: &shared.CustomToolInputFormatGrammarParam{
					Syntax: syntax, Definition: def,
				}},
			}})
			continue
		}
		defs = append(defs, responses.ToolUnionParam{OfFunction: &responses.FunctionToolParam{
			Name:        tool.Name(),
			Description: param.NewOpt(tool.Description()),
			Parameters:  tool.Schema(),
			Strict:      param.NewOpt(false),
		}})
	}
	if web.Type != "" {
		search := map[string]any{"type": "web_search", "external_web_access": web.Live}
		if web.Type == "text_and_image" {
			search["search_content_types"] = []string{"text", "image"}
		}
		defs = append(defs, param.Override[responses.ToolUnionParam](search))
	}
	return defs
}
