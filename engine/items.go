package engine

import (
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
)

// TypedMessage is an input message in the fully typed shape the official
// CLI sends, `{"type":"message","role":…,"content":[{"type":"input_text",
// "text":…}]}`. role is "user" or "developer": the ChatGPT backend refuses
// a "system" item, so one asked for goes out as "developer".
func TypedMessage(role, text string) responses.ResponseInputItemUnionParam {
	if role == "system" {
		role = "developer"
	}
	return responses.ResponseInputItemUnionParam{OfInputMessage: &responses.ResponseInputItemMessageParam{
		Type: "message",
		Role: role,
		Content: responses.ResponseInputMessageContentListParam{
			{OfInputText: &responses.ResponseInputTextParam{Text: text}},
		},
	}}
}

// assistantMessage replays the model's text as the official CLI does,
// `{"type":"message","role":"assistant","content":[{"type":"output_text",
// "text":…}]}`, without the server id openai-go's typed param would
// require.
func assistantMessage(text string) responses.ResponseInputItemUnionParam {
	raw := map[string]any{
		"type":    "message",
		"role":    "assistant",
		"content": []map[string]any{{"type": "output_text", "text": text}},
	}
	m := param.Override[responses.ResponseOutputMessageParam](raw)
	return responses.ResponseInputItemUnionParam{OfOutputMessage: &m}
}
