package codemode

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// outputBuffer holds what a cell printed since the last read: the first and
// the last bytes up to a cap, and a count of what fell between.
type outputBuffer struct {
	mu      sync.Mutex
	limit   int
	head    []byte
	tail    []byte
	dropped int
	images  []string
}

// maxImages caps the images one report carries; later ones are named in
// the output instead.
const maxImages = 8

func (b *outputBuffer) image(url string) {
	b.mu.Lock()
	full := len(b.images) >= maxImages
	if !full {
		b.images = append(b.images, url)
	}
	b.mu.Unlock()
	if full {
		b.write(fmt.Sprintf("[an image was left out: one report carries at most %d]\n", maxImages))
	}
}

// takeImages returns the images since the last report and forgets them.
func (b *outputBuffer) takeImages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	images := b.images
	b.images = nil
	return images
}

func (b *outputBuffer) write(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	headMax := b.limit / 2
	if room := headMax - len(b.head); room > 0 && b.dropped == 0 && len(b.tail) == 0 {
		take := min(room, len(s))
		b.head = append(b.head, s[:take]...)
		s = s[take:]
	}
	if s == "" {
		return
	}
	tailMax := b.limit - headMax
	b.tail = append(b.tail, s...)
	if over := len(b.tail) - tailMax; over > 0 {
		b.dropped += over
		b.tail = append(b.tail[:0], b.tail[over:]...)
	}
}

// take returns the buffered output and empties the buffer.
func (b *outputBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var sb strings.Builder
	sb.Write(b.head)
	if b.dropped > 0 {
		fmt.Fprintf(&sb, "\n[... %d bytes of output dropped ...]\n", b.dropped)
	}
	sb.Write(b.tail)
	b.head, b.tail, b.dropped = nil, nil, 0
	return strings.ToValidUTF8(sb.String(), "\uFFFD")
}

// bytesPerToken is the rough size of a token, used to turn the model's
// token budgets into a cut in characters.
const bytesPerToken = 4

// truncate keeps the first and last parts of s within maxTokens, naming
// how much it left out.
func truncate(s string, maxTokens int) string {
	limit := maxTokens * bytesPerToken
	if limit <= 0 || len(s) <= limit {
		return s
	}
	half := limit / 2
	head := s[:half]
	for len(head) > 0 && !utf8.ValidString(head) {
		head = head[:len(head)-1]
	}
	tail := s[len(s)-half:]
	for len(tail) > 0 && !utf8.RuneStart(tail[0]) {
		tail = tail[1:]
	}
	omitted := len(s) - len(head) - len(tail)
	return fmt.Sprintf("%s\n[... %d characters omitted (about %d tokens) ...]\n%s",
		head, omitted, (omitted+bytesPerToken-1)/bytesPerToken, tail)
}
