package engine

import (
	"encoding/base64"
	"fmt"
	"slices"

	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"

	"github.com/deckhand-dev/deckhand/tools"
)

// Images attached to a message (PROTOCOL 1.2): a workspace file or pasted
// base64, PNG, JPEG, GIF or WebP, at most 10 MiB; they go with the message
// as input_image parts, to a model whose entry takes images.

// maxImages bounds the images of one message: each is kept in the
// session's history and file, and sent again with every request.
const maxImages = 8

// textAttachments leaves out the images, which are not text.
func textAttachments(atts []Attachment) []Attachment {
	var out []Attachment
	for _, a := range atts {
		if a.Type != AttachImage {
			out = append(out, a)
		}
	}
	return out
}

// attachedImages reads the message's images as data URLs. Any that cannot
// be read make the request invalid.
func attachedImages(env *tools.Env, atts []Attachment) ([]string, error) {
	var urls []string
	for i, a := range atts {
		if a.Type != AttachImage {
			continue
		}
		if len(urls) == maxImages {
			return nil, fmt.Errorf("%w: attachments: at most %d images can go with one message", ErrInvalidParams, maxImages)
		}
		im, err := loadAttachedImage(env, a)
		if err != nil {
			return nil, fmt.Errorf("%w: attachments[%d]: %v", ErrInvalidParams, i, err)
		}
		urls = append(urls, im.DataURL())
	}
	return urls, nil
}

// takeImages gives the turn the message's images; images for a model that
// takes none make the request invalid.
func (t *turn) takeImages(urls []string) error {
	if len(urls) > 0 && !slices.Contains(t.entry.InputModalities, "image") {
		return fmt.Errorf("%w: attachments: the model %s does not take images", ErrInvalidParams, t.model)
	}
	t.images = urls
	return nil
}

func loadAttachedImage(env *tools.Env, a Attachment) (tools.Image, error) {
	if a.Path != "" {
		return tools.LoadImage(env, a.Path)
	}
	if len(a.Data) > base64.StdEncoding.EncodedLen(tools.MaxImageSize) {
		return tools.Image{}, tools.ErrImageTooLarge
	}
	data, err := base64.StdEncoding.DecodeString(a.Data)
	if err != nil {
		return tools.Image{}, fmt.Errorf("data is not base64: %v", err)
	}
	if len(data) > tools.MaxImageSize {
		return tools.Image{}, tools.ErrImageTooLarge
	}
	mime, err := tools.SniffImage(data)
	if err != nil {
		return tools.Image{}, err
	}
	if a.MimeType != "" && a.MimeType != mime {
		return tools.Image{}, fmt.Errorf("mimeType %q, but the data is %s", a.MimeType, mime)
	}
	return tools.Image{MIME: mime, Data: data}, nil
}

// userWithImages is a user message of text and input_image parts.
func userWithImages(it Item) responses.ResponseInputItemUnionParam {
	parts := []any{map[string]any{"type": "input_text", "text": it.Text}}
	for _, url := range it.Images {
		parts = append(parts, map[string]any{"type": "input_image", "image_url": url})
	}
	return param.Override[responses.ResponseInputItemUnionParam](map[string]any{
		"type": "message", "role": "user", "content": parts,
	})
}
