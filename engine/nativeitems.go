package engine

import (
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
)

// The input items of the Codex tools' calls, in the shapes the models' own
// client sends back: a custom tool's call and output (apply_patch), and a
// function output that is an image (view_image).

// customCallParam replays a custom tool call: `{"type":"custom_tool_call",
// "call_id","name","input"}`, without the server id.
func customCallParam(callID, name, input string) responses.ResponseInputItemUnionParam {
	raw := map[string]any{"type": "custom_tool_call", "call_id": callID, "name": name, "input": input}
	c := param.Override[responses.ResponseCustomToolCallParam](raw)
	return responses.ResponseInputItemUnionParam{OfCustomToolCall: &c}
}

// customOutputParam answers a custom tool call: `{"type":
// "custom_tool_call_output","call_id","output"}`.
func customOutputParam(callID, output string) responses.ResponseInputItemUnionParam {
	raw := map[string]any{"type": "custom_tool_call_output", "call_id": callID, "output": output}
	o := param.Override[responses.ResponseCustomToolCallOutputParam](raw)
	return responses.ResponseInputItemUnionParam{OfCustomToolCallOutput: &o}
}

// imageOutputParam answers a function call with an image:
// `{"type":"function_call_output","call_id","output":[{"type":"input_image",
// "image_url":"data:…"}]}`.
func imageOutputParam(callID, dataURL string) responses.ResponseInputItemUnionParam {
	raw := map[string]any{
		"type":    "function_call_output",
		"call_id": callID,
		"output":  []map[string]any{{"type": "input_image", "image_url": dataURL}},
	}
	o := param.Override[responses.ResponseInputItemFunctionCallOutputParam](raw)
	return responses.ResponseInputItemUnionParam{OfFunctionCallOutput: &o}
}
