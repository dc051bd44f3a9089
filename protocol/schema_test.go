package protocol_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/deckhand-dev/deckhand/protocol"
	"github.com/deckhand-dev/deckhand/protocol/schema"
)

// The protocol's JSON Schema (protocol/schema/deckhand.schema.json) is
// checked against the Go wire types of this package (schema_types_test.go),
// against the method names and error codes it declares
// (schema_names_test.go), and against docs/protocol.md (docs_test.go,
// docs_names_test.go). This file holds what they share.

// goTypes maps each $defs entry to the Go type that carries it on the wire.
var goTypes = map[string]reflect.Type{
	"Error":                reflect.TypeFor[protocol.Error](),
	"AuthRequiredData":     reflect.TypeFor[protocol.AuthRequiredData](),
	"SessionBusyData":      reflect.TypeFor[protocol.SessionBusyData](),
	"UsageNotIncludedData": reflect.TypeFor[protocol.UsageNotIncludedData](),
	"RateLimitData":        reflect.TypeFor[protocol.RateLimitData](),
	"UpstreamFailedData":   reflect.TypeFor[protocol.UpstreamFailedData](),
	"ModelNotServedData":   reflect.TypeFor[protocol.ModelNotServedData](),
	"MCPFailedData":        reflect.TypeFor[protocol.MCPFailedData](),

	"ClientInfo":          reflect.TypeFor[protocol.ClientInfo](),
	"ClientCapabilities":  reflect.TypeFor[protocol.ClientCapabilities](),
	"Approvals":           reflect.TypeFor[protocol.Approvals](),
	"InitializeParams":    reflect.TypeFor[protocol.InitializeParams](),
	"ServerInfo":          reflect.TypeFor[protocol.ServerInfo](),
	"ServerCapabilities":  reflect.TypeFor[protocol.ServerCapabilities](),
	"SandboxCapability":   reflect.TypeFor[protocol.SandboxCapability](),
	"InitializeResult":    reflect.TypeFor[protocol.InitializeResult](),
	"CancelRequestParams": reflect.TypeFor[protocol.CancelRequestParams](),

	"AuthStatus":          reflect.TypeFor[protocol.AuthStatus](),
	"Method":              reflect.TypeFor[protocol.Method](),
	"ConnectParams":       reflect.TypeFor[protocol.ConnectParams](),
	"ConnectResult":       reflect.TypeFor[protocol.ConnectResult](),
	"StartOAuthParams":    reflect.TypeFor[protocol.StartOAuthParams](),
	"StartOAuthResult":    reflect.TypeFor[protocol.StartOAuthResult](),
	"CompleteOAuthParams": reflect.TypeFor[protocol.CompleteOAuthParams](),
	"PollDeviceParams":    reflect.TypeFor[protocol.PollDeviceParams](),
	"PollDeviceResult":    reflect.TypeFor[protocol.PollDeviceResult](),
	"AuthCompletedParams": reflect.TypeFor[protocol.AuthCompletedParams](),
	"LogoutParams":        reflect.TypeFor[protocol.LogoutParams](),
	"Model":               reflect.TypeFor[protocol.Model](),
	"ModelsResult":        reflect.TypeFor[protocol.ModelsResult](),

	"LineRange":            reflect.TypeFor[protocol.LineRange](),
	"Attachment":           reflect.TypeFor[protocol.Attachment](),
	"ChatParams":           reflect.TypeFor[protocol.ChatParams](),
	"Usage":                reflect.TypeFor[protocol.Usage](),
	"ChatResult":           reflect.TypeFor[protocol.ChatResult](),
	"Source":               reflect.TypeFor[protocol.Source](),
	"TurnRef":              reflect.TypeFor[protocol.TurnRef](),
	"ChatStartedParams":    reflect.TypeFor[protocol.ChatStartedParams](),
	"ChatTextParams":       reflect.TypeFor[protocol.ChatTextParams](),
	"ChatToolCallParams":   reflect.TypeFor[protocol.ChatToolCallParams](),
	"ChatToolResultParams": reflect.TypeFor[protocol.ChatToolResultParams](),
	"ChatToolOutputParams": reflect.TypeFor[protocol.ChatToolOutputParams](),
	"ChatCompactedParams":  reflect.TypeFor[protocol.ChatCompactedParams](),
	"ChatNotSavedParams":   reflect.TypeFor[protocol.ChatNotSavedParams](),
	"ChatUsageParams":      reflect.TypeFor[protocol.ChatUsageParams](),
	"CancelParams":         reflect.TypeFor[protocol.CancelParams](),
	"CancelResult":         reflect.TypeFor[protocol.CancelResult](),

	"PermissionRequestParams": reflect.TypeFor[protocol.PermissionRequestParams](),
	"Preview":                 reflect.TypeFor[protocol.Preview](),
	"PreviewFile":             reflect.TypeFor[protocol.PreviewFile](),
	"PermissionResult":        reflect.TypeFor[protocol.PermissionResult](),

	"SessionsListParams":   reflect.TypeFor[protocol.SessionsListParams](),
	"SessionInfo":          reflect.TypeFor[protocol.SessionInfo](),
	"SessionsListResult":   reflect.TypeFor[protocol.SessionsListResult](),
	"SessionParams":        reflect.TypeFor[protocol.SessionParams](),
	"SessionsLoadResult":   reflect.TypeFor[protocol.SessionsLoadResult](),
	"TranscriptTurn":       reflect.TypeFor[protocol.TranscriptTurn](),
	"TranscriptStep":       reflect.TypeFor[protocol.TranscriptStep](),
	"TranscriptTool":       reflect.TypeFor[protocol.TranscriptTool](),
	"TranscriptPermission": reflect.TypeFor[protocol.TranscriptPermission](),
	"TranscriptAttachment": reflect.TypeFor[protocol.Attachment](),
	"SessionsDeleteResult": reflect.TypeFor[protocol.SessionsDeleteResult](),
	"SessionsCloseResult":  reflect.TypeFor[protocol.SessionsCloseResult](),
	"UndoParams":           reflect.TypeFor[protocol.UndoParams](),
	"UndoResult":           reflect.TypeFor[protocol.UndoResult](),
	"UndoSkipped":          reflect.TypeFor[protocol.UndoSkipped](),

	"LimitWindow":   reflect.TypeFor[protocol.LimitWindow](),
	"LimitCredits":  reflect.TypeFor[protocol.LimitCredits](),
	"AccountLimits": reflect.TypeFor[protocol.AccountLimits](),

	"MCPServerConfig":  reflect.TypeFor[protocol.MCPServerConfig](),
	"MCPServerPreview": reflect.TypeFor[protocol.MCPServerPreview](),
	"MCPListParams":    reflect.TypeFor[protocol.MCPListParams](),
	"MCPServerStatus":  reflect.TypeFor[protocol.MCPServerStatus](),
	"MCPListResult":    reflect.TypeFor[protocol.MCPListResult](),

	"DiagnosticsRequestParams": reflect.TypeFor[protocol.DiagnosticsRequestParams](),
	"DiagnosticsResult":        reflect.TypeFor[protocol.DiagnosticsResult](),
	"Diagnostic":               reflect.TypeFor[protocol.Diagnostic](),
}

// schemaOnly lists the object types of the schema that have no Go type of
// their own, and why.
var schemaOnly = map[string]string{
	"ResponseError":       "the JSON-RPC error object, which package jsonrpc writes",
	"FileAttachment":      "one shape of Attachment, a single Go struct",
	"SelectionAttachment": "one shape of Attachment, a single Go struct",
	"TextAttachment":      "one shape of Attachment, a single Go struct",
	"ImageFileAttachment": "one shape of Attachment, a single Go struct",
	"ImageDataAttachment": "one shape of Attachment, a single Go struct",
	"EmptyParams":         "params a method ignores",
	"JSONObject":          "json.RawMessage",
	"Provider":            "a string enum",
	"ApprovalPolicy":      "a string enum",
	"SandboxMode":         "a string enum",
	"OAuthMethod":         "a string enum",
	"FlowState":           "a string enum",
	"ReasoningEffort":     "a string enum",
	"StopReason":          "a string enum",
	"Decision":            "a string enum",
	"TranscriptSelection": "one shape of TranscriptAttachment, Go's Attachment",
	"TranscriptText":      "one shape of TranscriptAttachment, Go's Attachment",
	"TranscriptImage":     "one shape of TranscriptAttachment, Go's Attachment",
}

// pending lists what the schema has and the Go types or the docs do not
// have yet ("Type.field", "method name", "docs name"). Each entry must
// still be missing: once it lands, take it out here so that the check
// covers it.
var pending = map[string]bool{}

func loadSchema(t *testing.T) *schema.Schema {
	t.Helper()
	s, err := schema.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSchemaIsValid: the document is a valid 2020-12 schema and every
// method's params and result compile.
func TestSchemaIsValid(t *testing.T) {
	v := newValidator(t)
	s := loadSchema(t)
	for _, m := range s.Methods {
		if m.Params != nil {
			v.params(t, m.Name)
		}
		if m.Result != nil {
			v.result(t, m.Name)
		}
	}
	v.compile(t, "#/$defs/ResponseError")
}

// validator compiles parts of the schema by JSON pointer.
type validator struct {
	c     *jsonschema.Compiler
	cache map[string]*jsonschema.Schema
}

const schemaURL = "https://github.com/deckhand-dev/deckhand/protocol/schema/deckhand.schema.json"

func newValidator(t *testing.T) *validator {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.Source()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(schemaURL, doc); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compile(schemaURL); err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return &validator{c: c, cache: map[string]*jsonschema.Schema{}}
}

func (v *validator) compile(t *testing.T, pointer string) *jsonschema.Schema {
	t.Helper()
	if sch, ok := v.cache[pointer]; ok {
		return sch
	}
	sch, err := v.c.Compile(schemaURL + pointer)
	if err != nil {
		t.Fatalf("compile %s: %v", pointer, err)
	}
	v.cache[pointer] = sch
	return sch
}

func pointerTo(method, part string) string {
	esc := strings.NewReplacer("~", "~0", "/", "~1").Replace(method)
	return "#/x-methods/" + esc + "/" + part
}

func (v *validator) params(t *testing.T, method string) *jsonschema.Schema {
	return v.compile(t, pointerTo(method, "params"))
}

func (v *validator) result(t *testing.T, method string) *jsonschema.Schema {
	return v.compile(t, pointerTo(method, "result"))
}
