package tools

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deckhand-dev/deckhand/tools/patch"
)

// The file source of a call: the disk, or an editor that holds the
// workspace's files in buffers of its own, unsaved changes included (ACP's
// fs/read_text_file and fs/write_text_file). Such an editor can read and
// write a file it is given the path of, but cannot list its buffers; what
// deckhand read or wrote through it is kept in an Overlay, which grep, glob
// and list consult (model: gopls's overlay of open files over the disk).

// Buffers is a source of files other than the disk: an editor's buffers.
// Paths are absolute, resolved and checked as for the disk. A value is bound
// to one call (its context, its session).
type Buffers interface {
	// ReadText returns the text the editor holds for path, which is the
	// disk's when it has no buffer for it.
	ReadText(path string) (string, error)
	// WriteText gives path the text content, in the editor's buffer.
	WriteText(path, content string) error
}

// overlayMaxBytes bounds the text an Overlay keeps: the oldest files are
// forgotten first (they are then seen as the disk has them).
const overlayMaxBytes = 32 << 20

// Overlay is a session's record of the files whose text an editor holds:
// the text deckhand last read or wrote through the editor, and what the disk
// held then. An entry counts only while the disk is as it was when it was
// recorded; a file changed on disk since (saved, or changed by a command) is
// the disk's again. The zero Overlay is empty and ready; a nil one records
// nothing. It is safe for concurrent use.
type Overlay struct {
	mu    sync.Mutex
	files map[string]*overlayFile
	bytes int
	seq   uint64
	count atomic.Int64 // len(files), read without the lock: grep asks for every file
}

type overlayFile struct {
	text string
	disk diskStamp
	seq  uint64    // recency, for the bound
	at   time.Time // when it was recorded, the modification time glob sorts by
}

// diskStamp is what the disk held at a path: whether a file was there, and
// its size and modification time.
type diskStamp struct {
	exists bool
	size   int64
	mod    time.Time
}

func diskStampOf(path string) diskStamp {
	info, err := os.Lstat(path)
	if err != nil {
		return diskStamp{}
	}
	return diskStamp{exists: true, size: info.Size(), mod: info.ModTime()}
}

// NewOverlay returns an empty Overlay.
func NewOverlay() *Overlay { return &Overlay{files: map[string]*overlayFile{}} }

// Record keeps text as the editor's text for path (absolute, resolved).
func (o *Overlay) Record(path, text string) {
	if o == nil {
		return
	}
	stamp := diskStampOf(path)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dropLocked(path)
	if len(text) > overlayMaxBytes {
		return
	}
	if o.files == nil {
		o.files = map[string]*overlayFile{}
	}
	o.seq++
	o.files[path] = &overlayFile{text: text, disk: stamp, seq: o.seq, at: time.Now()}
	o.bytes += len(text)
	o.count.Add(1)
	for o.bytes > overlayMaxBytes {
		oldest := ""
		var seq uint64
		for p, f := range o.files {
			if oldest == "" || f.seq < seq {
				oldest, seq = p, f.seq
			}
		}
		o.dropLocked(oldest)
	}
}

// Forget drops what is kept for path (a file deleted).
func (o *Overlay) Forget(path string) {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dropLocked(path)
}

func (o *Overlay) dropLocked(path string) {
	if f, ok := o.files[path]; ok {
		o.bytes -= len(f.text)
		delete(o.files, path)
		o.count.Add(-1)
	}
}

// live returns the entry for path while the disk is as it was when it was
// recorded; a stale entry is dropped.
func (o *Overlay) live(path string) (*overlayFile, bool) {
	if o == nil || o.count.Load() == 0 {
		return nil, false
	}
	o.mu.Lock()
	f, ok := o.files[path]
	o.mu.Unlock()
	if !ok {
		return nil, false
	}
	if diskStampOf(path) != f.disk {
		o.mu.Lock()
		if o.files[path] == f {
			o.dropLocked(path)
		}
		o.mu.Unlock()
		return nil, false
	}
	return f, true
}

// Text returns the editor's text for path, when it holds one the disk has
// not changed since.
func (o *Overlay) Text(path string) (string, bool) {
	f, ok := o.live(path)
	if !ok {
		return "", false
	}
	return f.text, true
}

// unsaved lists the files below dir (or dir itself) that the editor holds
// and the disk does not have, in lexical order.
func (o *Overlay) unsaved(dir string) []string {
	if o == nil || o.count.Load() == 0 {
		return nil
	}
	o.mu.Lock()
	var paths []string
	for p, f := range o.files {
		if !f.disk.exists && (p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))) {
			paths = append(paths, p)
		}
	}
	o.mu.Unlock()
	out := paths[:0]
	for _, p := range paths {
		// .git is never listed or searched, whatever holds it.
		if slices.Contains(strings.Split(filepath.ToSlash(p), "/"), ".git") {
			continue
		}
		if _, ok := o.live(p); ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// unsavedFile reports whether path is a file the editor holds that the disk
// does not have, and when deckhand recorded it.
func (o *Overlay) unsavedFile(path string) (time.Time, bool) {
	f, ok := o.live(path)
	if !ok || f.disk.exists {
		return time.Time{}, false
	}
	return f.at, true
}

// unsavedDir reports whether the editor holds files below path, a directory
// the disk does not have.
func (o *Overlay) unsavedDir(path string) bool {
	for _, p := range o.unsaved(path) {
		if p != path {
			return true
		}
	}
	return false
}

// bufferFiles is the patch's view of the workspace when an editor serves
// its files: reads and writes go to the editor's buffers, with the same
// confinement and the same private folders as on disk.
type bufferFiles struct{ env *Env }

func (f bufferFiles) ReadFile(name string) ([]byte, error) {
	real, err := resolveIn(f.env.Root, name)
	if err != nil {
		if errors.Is(err, ErrOutsideWorkspace) {
			return nil, fmt.Errorf("%w: %w", patch.ErrOutside, err)
		}
		return nil, unwrapPathError(err)
	}
	if _, res, ok := f.env.resolve(name); !ok { // deckhand's own folder
		return nil, errors.New(res.Output)
	}
	text, err := f.env.Buffers.ReadText(real)
	if err != nil {
		// The editor says "no such file" in words of its own: a file
		// neither it was given nor the disk has is taken not to exist.
		if _, unsaved := f.env.Overlay.unsavedFile(real); !unsaved {
			if _, serr := os.Lstat(real); errors.Is(serr, fs.ErrNotExist) {
				return nil, fs.ErrNotExist
			}
		}
		return nil, errors.New("the editor could not read it: " + err.Error())
	}
	if len(text) > editMaxFileSize {
		return nil, fmt.Errorf("larger than %d MiB: it cannot be patched here", editMaxFileSize>>20)
	}
	return []byte(text), nil
}

func (f bufferFiles) WriteFile(name string, data []byte) error {
	real, res, ok := f.env.resolve(name)
	if !ok {
		return errors.New(res.Output)
	}
	if err := f.env.Buffers.WriteText(real, string(data)); err != nil {
		return errors.New("the editor could not write it: " + err.Error())
	}
	return nil
}

// Remove deletes the file on disk, where it is: an editor cannot be asked
// to delete a buffer. A file only the editor held is forgotten.
func (f bufferFiles) Remove(name string) error {
	real, res, ok := f.env.resolve(name)
	if !ok {
		return errors.New(res.Output)
	}
	f.env.Overlay.Forget(real)
	if _, err := os.Lstat(real); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return envFiles(f).Remove(name)
}
