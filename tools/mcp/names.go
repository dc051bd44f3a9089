package mcp

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Prefix starts the name of every MCP tool the model sees.
const Prefix = "mcp__"

// maxName is the longest function name the Responses API takes.
const maxName = 64

// sanitize keeps the characters a function name may hold
// (^[a-zA-Z0-9_-]+$) and turns every other into '_'.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// shortHash is 8 hex digits of the SHA-256 of s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// ToolName is the function name of a server's tool: mcp__<server>__<tool>,
// with characters the Responses API refuses replaced, and cut to 64 with a
// hash of the full pair at the end when longer.
func ToolName(server, tool string) string {
	name := Prefix + sanitize(server) + "__" + sanitize(tool)
	if len(name) <= maxName {
		return name
	}
	h := shortHash(server + "\x00" + tool)
	return name[:maxName-len(h)-1] + "_" + h
}

// uniqueNames names each (server, tool) pair, in order, so that no two get
// the same name: a pair whose name is taken gets a hash of the pair at the
// end. Callers pass the pairs in a stable order, so the names are stable.
func uniqueNames(pairs [][2]string) []string {
	out := make([]string, len(pairs))
	taken := map[string]bool{}
	for i, p := range pairs {
		base := ToolName(p[0], p[1])
		name := base
		for n := 0; taken[name]; n++ {
			h := shortHash(p[0] + "\x00" + p[1] + strings.Repeat("\x00", n))
			name = base
			if len(name)+len(h)+1 > maxName {
				name = name[:maxName-len(h)-1]
			}
			name += "_" + h
		}
		taken[name] = true
		out[i] = name
	}
	return out
}
