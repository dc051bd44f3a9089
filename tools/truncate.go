package tools

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// TruncationPolicy is how much of a tool's output the model gets, as a
// catalog entry's truncation_policy names it: Limit tokens (estimated at
// four bytes each) or Limit bytes.
type TruncationPolicy struct {
	Mode  string // "tokens" or "bytes"
	Limit int
}

// DefaultTruncation is the policy of an entry that names none.
var DefaultTruncation = TruncationPolicy{Mode: "tokens", Limit: 10000}

// bytesPerToken is the estimate of a token's length in bytes, the one the
// models' own client uses for budgets.
const bytesPerToken = 4

// approxTokens estimates the tokens of n bytes, rounding up.
func approxTokens(n int64) int64 { return (n + bytesPerToken - 1) / bytesPerToken }

// budget is the policy's limit in bytes.
func (p TruncationPolicy) budget() int {
	if p.Limit <= 0 {
		p = DefaultTruncation
	}
	if p.Mode == "bytes" {
		return p.Limit
	}
	return p.Limit * bytesPerToken
}

// withTokens is the policy for a call that asked for max tokens of output:
// the smaller of the two.
func (p TruncationPolicy) withTokens(max int) TruncationPolicy {
	if max <= 0 {
		return p
	}
	if p.Limit <= 0 {
		p = DefaultTruncation
	}
	if b := max * bytesPerToken; b < p.budget() {
		return TruncationPolicy{Mode: "tokens", Limit: max}
	}
	return p
}

// cutMarker says how much was cut from the middle of an output.
func (p TruncationPolicy) cutMarker(cut int64) string {
	if p.Mode == "bytes" {
		return fmt.Sprintf("…%d bytes truncated…", cut)
	}
	return fmt.Sprintf("…%d tokens truncated…", approxTokens(cut))
}

// Truncate keeps s whole when it fits the policy; otherwise half the budget
// from its start and half from its end, with a marker between saying how
// much was cut. Cuts fall on rune boundaries.
func Truncate(s string, p TruncationPolicy) string {
	return truncateParts([]byte(s), nil, 0, p)
}

// truncateParts is Truncate of head + (omitted bytes not kept) + tail.
func truncateParts(head, tail []byte, omitted int64, p TruncationPolicy) string {
	total := int64(len(head)+len(tail)) + omitted
	budget := int64(p.budget())
	if total <= budget {
		return strings.ToValidUTF8(string(head)+string(tail), "\uFFFD")
	}
	keepHead := budget / 2
	keepTail := budget - keepHead
	var front, back []byte
	if omitted > 0 {
		// What was not kept lies between head and tail: cut around it.
		front = head[:min(int64(len(head)), keepHead)]
		back = tail[int64(len(tail))-min(int64(len(tail)), keepTail):]
	} else {
		whole := append(head[:len(head):len(head)], tail...)
		front = whole[:keepHead]
		back = whole[int64(len(whole))-keepTail:]
	}
	front = trimPartialRuneEnd(front)
	back = trimPartialRuneStart(back)
	cut := total - int64(len(front)) - int64(len(back))
	return strings.ToValidUTF8(string(front), "\uFFFD") + p.cutMarker(cut) + strings.ToValidUTF8(string(back), "\uFFFD")
}

// trimPartialRuneEnd drops a rune cut short at the end of b.
func trimPartialRuneEnd(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// trimPartialRuneStart drops the continuation bytes of a rune cut at the
// start of b.
func trimPartialRuneStart(b []byte) []byte {
	for i := 0; i < len(b) && i < utf8.UTFMax; i++ {
		if utf8.RuneStart(b[i]) {
			return b[i:]
		}
	}
	return b
}
