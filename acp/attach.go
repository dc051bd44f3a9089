package acp

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	sdk "github.com/coder/acp-go-sdk"

	"github.com/deckhand-dev/deckhand/engine"
)

// promptParts turns a prompt's content blocks into the user's message and
// its attachments: text blocks are the message; a link to a file in the
// workspace (root) is a file attachment (its lines when the link names
// them), a link to anything else a reference in the message; an embedded
// text resource is a selection when it names a workspace file and lines
// (the editor's text, unsaved edits included), else a text attachment
// titled with its file (and lines) or URI. A file outside the workspace is
// never refused: its link is a reference, its embedded text a text
// attachment.
func promptParts(root string, blocks []sdk.ContentBlock) (string, []engine.Attachment, error) {
	var texts []string
	var atts []engine.Attachment
	for _, b := range blocks {
		switch {
		case b.Text != nil:
			texts = append(texts, b.Text.Text)
		case b.ResourceLink != nil:
			path, start, end, isFile := fileOf(b.ResourceLink.Uri)
			if info, err := os.Stat(path); isFile && err == nil && info.Mode().IsRegular() && inside(root, path) {
				atts = append(atts, engine.Attachment{Type: engine.AttachFile, Path: path, StartLine: start, EndLine: end})
				continue
			}
			texts = append(texts, fmt.Sprintf("[%s](%s)", b.ResourceLink.Name, b.ResourceLink.Uri))
		case b.Resource != nil && b.Resource.Resource.TextResourceContents != nil:
			r := b.Resource.Resource.TextResourceContents
			path, start, end, isFile := fileOf(r.Uri)
			if isFile && start > 0 && inside(root, path) {
				atts = append(atts, engine.Attachment{Type: engine.AttachSelection, Path: path, StartLine: start, EndLine: end, Text: r.Text})
				continue
			}
			title := r.Uri
			switch {
			case isFile && start > 0:
				title = fmt.Sprintf("%s (lines %d-%d)", path, start, end)
			case isFile:
				title = path
			}
			atts = append(atts, engine.Attachment{Type: engine.AttachText, Title: title, Text: r.Text})
		case b.Resource != nil:
			return "", nil, invalidParams("binary resources are not supported in prompts; attach text files or links")
		case b.Image != nil:
			// Checked against the model's entry before (checkMedia).
			atts = append(atts, engine.Attachment{Type: engine.AttachImage, MimeType: b.Image.MimeType, Data: b.Image.Data})
		case b.Audio != nil:
			return "", nil, invalidParams("audio is not supported in prompts (promptCapabilities says so)")
		default:
			return "", nil, invalidParams("a prompt content block has an unknown type; send text, resource_link or resource blocks")
		}
	}
	text := strings.TrimSpace(strings.Join(texts, "\n\n"))
	if text == "" {
		if len(atts) == 0 {
			return "", nil, invalidParams("the prompt has no text")
		}
		text = "See the attachments."
	}
	return text, atts, nil
}

// promptRequest is session/prompt's params with the type of each content
// block as sent: the SDK decodes a block of an unknown type as an empty text
// block, which would drop it without a word.
type promptRequest struct {
	sdk.PromptRequest
	types []string
}

func (p *promptRequest) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &p.PromptRequest); err != nil {
		return err
	}
	var raw struct {
		Prompt []struct {
			Type string `json:"type"`
		} `json:"prompt"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for _, c := range raw.Prompt {
		p.types = append(p.types, c.Type)
	}
	return nil
}

// blockTypes are the content block types of ACP's schema.
var blockTypes = []string{"text", "image", "audio", "resource_link", "resource"}

// checkTypes refuses a prompt with a block of a type ACP does not define.
func (p *promptRequest) checkTypes() error {
	for i, t := range p.types {
		if !slices.Contains(blockTypes, t) {
			return invalidParams(fmt.Sprintf("prompt[%d] has the unknown content type %q; send text, resource_link or resource blocks", i, t))
		}
	}
	return nil
}

// inside says whether path (symbolic links resolved, as the engine does)
// is in the workspace root.
func inside(root, path string) bool {
	if root == "" {
		return false
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	} else if real, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
		path = filepath.Join(real, filepath.Base(path))
	}
	rel, err := filepath.Rel(root, filepath.Clean(path))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// lineRange matches the line fragment editors put on file links: #L12,
// #L12-20, #L12-L20, #L12:20. Compiled on first use, not at every start.
var lineRange = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^L(\d+)(?:[-:]L?(\d+))?$`) })

// fileOf reads a file: URI: its path and the lines its fragment names (0
// for none).
func fileOf(uri string) (path string, start, end int, ok bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || u.Path == "" {
		return "", 0, 0, false
	}
	if m := lineRange().FindStringSubmatch(u.Fragment); m != nil {
		start, _ = strconv.Atoi(m[1])
		end = start
		if m[2] != "" {
			end, _ = strconv.Atoi(m[2])
		}
		if start < 1 || end < start {
			start, end = 0, 0
		}
	}
	return u.Path, start, end, true
}
