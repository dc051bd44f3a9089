package tools

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
)

// errBinary marks a file that grep does not search.
var errBinary = errors.New("binary file")

// search is one grep call: the matcher, the filters and what was found.
type search struct {
	matcher    *lineMatcher
	include    string
	maxMatches int
	root       string // the workspace: files are opened through it
	home       *Home  // what the walk leaves out

	hits         []grepHit
	found        atomic.Int64 // hits so far, across workers
	skippedLarge atomic.Int64
}

type grepHit struct {
	path string // relative to the root
	line int
	text string
}

// scratch holds the buffers one worker reuses from file to file.
type scratch struct {
	data  []byte
	lower []byte
}

type grepJob struct {
	abs, rel string
}

// dir searches the tree below dir: one goroutine walks it and feeds files to
// GOMAXPROCS workers, and the walk stops once the cap is reached.
func (s *search) dir(ctx context.Context, root, dir string) error {
	jobs := make(chan grepJob, 256)
	workers := runtime.GOMAXPROCS(0)
	found := make([][]grepHit, workers)
	panics := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			defer func() {
				if r := recover(); r != nil {
					panics[w] = fmt.Errorf("grep worker panic: %v", r)
					for range jobs { // let the walk finish
					}
				}
			}()
			var buf scratch
			for job := range jobs {
				if s.full() || ctx.Err() != nil {
					continue
				}
				hits, err := s.file(job.abs, job.rel, &buf)
				if err == nil {
					found[w] = append(found[w], hits...)
				}
			}
		})
	}
	prefix := len(dir) + 1
	walkErr := walkTree(ctx, s.home, root, dir, func(e walkEntry) error {
		if s.full() {
			return errStopWalk
		}
		if !e.entry.Type().IsRegular() || !s.includes(filepath.ToSlash(e.abs[prefix:])) {
			return nil
		}
		select {
		case jobs <- grepJob{abs: e.abs, rel: e.rel}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(jobs)
	wg.Wait()
	if walkErr != nil {
		return walkErr
	}
	if err := errors.Join(panics...); err != nil {
		return err
	}
	for _, hits := range found {
		s.hits = append(s.hits, hits...)
	}
	return ctx.Err()
}

func (s *search) full() bool {
	return s.found.Load() >= int64(s.maxMatches)
}

// file searches one file, reading it whole into buf (reused between the
// files of one worker). A binary file returns errBinary.
func (s *search) file(abs, rel string, buf *scratch) ([]grepHit, error) {
	data, err := readInto(s.root, abs, &buf.data)
	if errors.Is(err, errTooLarge) {
		s.skippedLarge.Add(1)
	}
	if err != nil {
		return nil, err
	}
	if bytes.IndexByte(data[:min(len(data), sniffSize)], 0) >= 0 {
		return nil, errBinary
	}
	var hits []grepHit
	line, counted := 1, 0
	s.matcher.each(data, &buf.lower, func(start, end int) bool {
		line += bytes.Count(data[counted:start], []byte{'\n'})
		counted = start
		text, cut := cutRunes(trimCR(data[start:end]), grepMaxLineText)
		t := string(text)
		if cut {
			t += " ..."
		}
		hits = append(hits, grepHit{path: rel, line: line, text: t})
		return s.found.Add(1) < int64(s.maxMatches)
	})
	return hits, nil
}

// readInto reads the file at path, seen to be a regular file, into *buf
// (reused between the files of one worker), refusing one over
// grepMaxFileSize.
func readInto(root, path string, buf *[]byte) ([]byte, error) {
	f, info, err := openSeenRegular(root, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f, int(info.Size()), grepMaxFileSize, buf)
}
