package jsonrpc

// The error codes this package answers with itself. The first five are
// JSON-RPC 2.0's own; CodeRequestCancelled is LSP's, used by both faces for
// a request ended by its cancellation notification. A face declares the
// codes of its own protocol next to its methods and imports these for the
// standard ones rather than declaring them again.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603

	// CodeRequestCancelled answers a request cancelled by the peer.
	CodeRequestCancelled = -32800
)

// DefaultCancelNotification is the cancellation notification a Conn
// understands unless SetCancelNotification names another (LSP's).
const DefaultCancelNotification = "$/cancelRequest"
