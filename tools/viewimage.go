package tools

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // DecodeConfig checks the formats it names
	_ "image/jpeg"
	_ "image/png"
	"os"
)

// MaxImageSize bounds an image sent to the model, by view_image or as an
// attachment.
const MaxImageSize = 10 << 20

// Image is a picture for the model: its bytes and their MIME type.
type Image struct {
	MIME string
	Data []byte
}

// DataURL is the image as a data: URL, the form an input_image carries.
func (im Image) DataURL() string {
	return "data:" + im.MIME + ";base64," + base64.StdEncoding.EncodeToString(im.Data)
}

// ErrNotImage reports data that is not a PNG, JPEG, GIF or WebP image.
var ErrNotImage = errors.New("not a PNG, JPEG, GIF or WebP image")

// ErrImageTooLarge reports an image over MaxImageSize.
var ErrImageTooLarge = fmt.Errorf("larger than %d MiB", MaxImageSize>>20)

// SniffImage returns the MIME type of data from its first bytes, and checks
// that a PNG, JPEG or GIF has a readable header; WebP is told by its RIFF
// header alone.
func SniffImage(data []byte) (string, error) {
	var mime string
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		mime = "image/png"
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		mime = "image/jpeg"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		mime = "image/gif"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "image/webp", nil
	default:
		return "", ErrNotImage
	}
	if _, _, err := image.DecodeConfig(bytes.NewReader(data)); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	return mime, nil
}

// LoadImage reads the image at path (as the model or the editor gives
// paths) through the workspace's confinement.
func LoadImage(env *Env, path string) (Image, error) {
	st, err := ReadState(env, path, MaxImageSize)
	switch {
	case errors.Is(err, errTooLarge):
		return Image{}, fmt.Errorf("%s: %w", path, ErrImageTooLarge)
	case err != nil:
		return Image{}, err
	case !st.Exists:
		return Image{}, fmt.Errorf("%s: %w", path, os.ErrNotExist)
	}
	mime, err := SniffImage(st.Content)
	if err != nil {
		return Image{}, fmt.Errorf("%s: %w", path, err)
	}
	return Image{MIME: mime, Data: st.Content}, nil
}

type viewImageParams struct {
	Path string `json:"path" desc:"Path of the image file in the workspace."`
}

type viewImageTool struct{}

// ViewImageTool returns view_image, for models that take images.
func ViewImageTool() Tool { return viewImageTool{} }

func (viewImageTool) Name() string           { return "view_image" }
func (viewImageTool) ReadOnly() bool         { return true }
func (viewImageTool) Schema() map[string]any { return schemaOf(viewImageParams{}) }
func (viewImageTool) Description() string {
	return "Look at an image file of the workspace (PNG, JPEG, GIF or WebP), when seeing it helps: a screenshot, a diagram, a rendered chart."
}

func (viewImageTool) Run(ctx context.Context, env *Env, args json.RawMessage) (Result, error) {
	var p viewImageParams
	if res, ok := decodeArgs(args, &p); !ok {
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	im, err := LoadImage(env, p.Path)
	switch {
	case errors.Is(err, ErrOutsideWorkspace):
		return fail("%v", err), nil
	case errors.Is(err, ErrPrivate):
		return privateError(p.Path), nil
	case errors.Is(err, os.ErrNotExist):
		return fail("image %q not found", p.Path), nil
	case errors.Is(err, errNotRegular):
		return fail("%q is not a regular file", p.Path), nil
	case err != nil:
		return fail("cannot view %q: %v", p.Path, unwrapPathError(err)), nil
	}
	return Result{Output: fmt.Sprintf("%s (%s, %d bytes)", p.Path, im.MIME, len(im.Data)), Image: &im}, nil
}
