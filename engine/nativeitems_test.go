package engine

import (
	"encoding/json"
	"testing"
)

func TestNativeItemShapes(t *testing.T) {
	for _, tt := range []struct {
		name string
		got  interface{ MarshalJSON() ([]byte, error) }
		want string
	}{
		{"custom call", customCallParam("call_1", "apply_patch", "*** Begin Patch\n"), `{"call_id":"call_1","input":"*** Begin Patch\n","name":"apply_patch","type":"custom_tool_call"}`},
		{"custom output", customOutputParam("call_1", "Exit code: 0"), `{"call_id":"call_1","output":"Exit code: 0","type":"custom_tool_call_output"}`},
		{"image output", imageOutputParam("call_2", "data:image/png;base64,AAA"), `{"call_id":"call_2","output":[{"image_url":"data:image/png;base64,AAA","type":"input_image"}],"type":"function_call_output"}`},
	} {
		b, err := tt.got.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		_ = json.Unmarshal(b, &g)
		_ = json.Unmarshal([]byte(tt.want), &w)
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		if string(gb) != string(wb) {
			t.Errorf("%s: %s\nwant %s", tt.name, b, tt.want)
		}
	}
}
