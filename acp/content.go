package acp

import (
	"fmt"
	"net/url"
	"strings"

	sdk "github.com/coder/acp-go-sdk"
)

// promptText turns a prompt's content blocks into the user's message: text as
// it is, a resource link as a reference the model can read with its tools,
// an embedded resource with its text in a fenced block.
func promptText(blocks []sdk.ContentBlock) (string, error) {
	var parts []string
	for _, b := range blocks {
		switch {
		case b.Text != nil:
			parts = append(parts, b.Text.Text)
		case b.ResourceLink != nil:
			parts = append(parts, fmt.Sprintf("Attached: %s (%s)", pathOf(b.ResourceLink.Uri), b.ResourceLink.Name))
		case b.Resource != nil && b.Resource.Resource.TextResourceContents != nil:
			r := b.Resource.Resource.TextResourceContents
			parts = append(parts, fmt.Sprintf("Attached: %s\n%s\n%s\n%s", pathOf(r.Uri), fence(r.Text), r.Text, fence(r.Text)))
		case b.Resource != nil:
			return "", invalidParams("binary resources are not supported in prompts; attach text files or links")
		case b.Image != nil, b.Audio != nil:
			return "", invalidParams("images and audio are not supported in prompts (promptCapabilities says so)")
		default:
			return "", invalidParams("a prompt content block has an unknown type; send text, resource_link or resource blocks")
		}
	}
	text := strings.TrimSpace(strings.Join(parts, "\n\n"))
	if text == "" {
		return "", invalidParams("the prompt has no text")
	}
	return text, nil
}

// pathOf shows a file: URI as its path, other URIs as they are.
func pathOf(uri string) string {
	if u, err := url.Parse(uri); err == nil && u.Scheme == "file" {
		return u.Path
	}
	return uri
}

// fence returns a code fence longer than any run of backticks in text.
func fence(text string) string {
	n, run := 3, 0
	for _, r := range text {
		if r == '`' {
			run++
			n = max(n, run+1)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", n)
}
