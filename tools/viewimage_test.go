package tools

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func encoded(t *testing.T, encode func(*bytes.Buffer, image.Image) error) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestViewImage(t *testing.T) {
	pngData := encoded(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	files := map[string]string{
		"shot.png":  pngData,
		"photo.jpg": encoded(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) }),
		"anim.gif":  encoded(t, func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) }),
		"pic.webp":  "RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00",
		"notes.txt": "not an image",
		"fake.png":  "\x89PNG\r\n\x1a\nbroken",
	}
	env := newTestEnv(t, files)
	outside := t.TempDir()
	writeTestFile(t, filepath.Join(outside, "o.png"), pngData)
	symlink(t, filepath.Join(outside, "o.png"), filepath.Join(env.Root, "link.png"))
	big := filepath.Join(env.Root, "big.png")
	writeTestFile(t, big, pngData)
	if err := os.Truncate(big, MaxImageSize+1); err != nil {
		t.Fatal(err)
	}

	for path, mime := range map[string]string{"shot.png": "image/png", "photo.jpg": "image/jpeg", "anim.gif": "image/gif", "pic.webp": "image/webp"} {
		res := runTool(t, viewImageTool{}, env, map[string]any{"path": path})
		if res.IsError || res.Image == nil {
			t.Fatalf("%s: %+v", path, res)
		}
		if res.Image.MIME != mime || string(res.Image.Data) != files[path] {
			t.Errorf("%s: mime %s, %d bytes", path, res.Image.MIME, len(res.Image.Data))
		}
		want := "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString([]byte(files[path]))
		if res.Image.DataURL() != want {
			t.Errorf("%s: data URL %.60s", path, res.Image.DataURL())
		}
	}
	for path, msg := range map[string]string{
		"notes.txt":     "not a PNG, JPEG, GIF or WebP image",
		"fake.png":      "not a PNG, JPEG, GIF or WebP image",
		"missing.png":   "not found",
		"link.png":      "outside the workspace",
		"../x.png":      "outside the workspace",
		"big.png":       "larger than 10 MiB",
		".":             "not a regular file",
		"sub/../../etc": "outside the workspace",
	} {
		res := runTool(t, viewImageTool{}, env, map[string]any{"path": path})
		if !res.IsError || res.Image != nil || !strings.Contains(res.Output, msg) {
			t.Errorf("%s: %+v, want an error with %q", path, res, msg)
		}
	}
}
