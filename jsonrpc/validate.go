package jsonrpc

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// verdict is what check decides about a well-formed JSON frame.
type verdict struct {
	id      json.RawMessage // the id to answer with; nil means null
	message string          // non-empty: refuse the frame with -32600 and this message
	drop    bool            // refuse the frame silently (an unusable response)
}

// check decides whether a valid JSON frame is a message jsonrpc2 can take:
// a single object that is a request or notification (a string method, no
// result or error, an id that is absent, null, a string or an integer from
// 0 to 2^63-1) or a response (a result or non-null error, no method). Ids
// jsonrpc2 would mangle, such as -1 (it wraps to 2^64-1), are refused.
func check(frame []byte) verdict {
	trimmed := bytes.TrimSpace(frame)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		if len(trimmed) > 0 && trimmed[0] == '[' {
			return verdict{message: "Invalid request: batches are not supported; send one message per frame."}
		}
		return verdict{message: "Invalid request: a message must be a JSON object."}
	}
	// Member names are matched exactly, as jsonrpc2's request decoder does
	// (a struct would match "METHOD" too).
	var members map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &members); err != nil {
		return verdict{message: "Invalid request: the message could not be read."}
	}
	// A member given twice is read as its last copy by one parser and its
	// first by another: an answer {"decision":"deny","decision":"allow"}
	// must not mean allow to deckhand and deny to whoever logged it.
	if hasDuplicateKeys(trimmed) || hasDuplicateKeys(members["result"]) || hasDuplicateKeys(members["params"]) {
		echo, _ := checkID(members["id"])
		if len(members["method"]) == 0 {
			return verdict{drop: true} // never answer a response
		}
		return verdict{id: echo, message: "Invalid request: a member name occurs twice in the same object."}
	}
	id, method := members["id"], members["method"]
	result, rpcErr := members["result"], members["error"]
	echo, usable := checkID(id)
	isRequest := len(method) > 0
	isResponse := len(result) > 0 || (len(rpcErr) > 0 && !isNull(rpcErr))
	switch {
	case isRequest && isResponse:
		return verdict{id: echo, message: "Invalid request: a message cannot have both a method and a result or error."}
	case isRequest && method[0] != '"':
		return verdict{id: echo, message: "Invalid request: the method must be a string."}
	case isRequest && len(id) > 0 && isNull(id):
		// jsonrpc2 would take it for a notification and never answer.
		return verdict{message: "Invalid request: the id must not be null; give a string or an integer, or leave the id out for a notification."}
	case isRequest && !usable:
		return verdict{id: echo, message: "Invalid request: the id must be a string or an integer from 0 to 9223372036854775807."}
	case isRequest:
		return verdict{id: echo}
	case isResponse && !usable:
		return verdict{drop: true} // never answer a response
	case isResponse:
		return verdict{id: echo}
	}
	return verdict{id: echo, message: "Invalid request: the message has no method (nor a result or error)."}
}

// checkID returns the id to echo in an error (nil for null) and whether
// jsonrpc2 can use it. A negative or oversized integer is echoed but not
// usable; an id that is not a string or an integer is neither.
func checkID(raw json.RawMessage) (echo json.RawMessage, usable bool) {
	if len(raw) == 0 || isNull(raw) {
		return nil, true
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		return raw, true
	}
	if !isInteger(raw) {
		return nil, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n < 0 || raw[0] == '-' { // -0 too: it would come back as 0
		return raw, false
	}
	return raw, true
}

// isInteger reports whether raw is a JSON number without a fraction or
// exponent.
func isInteger(raw []byte) bool {
	digits := bytes.TrimPrefix(raw, []byte("-"))
	if len(digits) == 0 {
		return false
	}
	for _, b := range digits {
		if b < '0' || b > '9' {
			return false
		}
	}
	return true
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// hasDuplicateKeys reports whether the JSON object raw (anything else:
// false) names one member twice at its top level.
func hasDuplicateKeys(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		key, _ := tok.(string)
		if seen[key] {
			return true
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return false
}
