package protocol

// NotifyChatUsage (an extension) is sent during a turn, after each model
// response and after each step's tool outputs: the turn's tokens so far
// and how full the context window is now, for a context gauge that moves
// mid-turn. chat's result carries the same at the turn's end.
const NotifyChatUsage = "chat/usage"

// ChatUsageParams are the params of chat/usage.
type ChatUsageParams struct {
	TurnRef
	Usage Usage `json:"usage"`
}
