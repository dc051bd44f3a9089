package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fakeOpener puts an xdg-open running script first on PATH.
func fakeOpener(t *testing.T, script string) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the opener is xdg-open on Linux only")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

// An opener that stays in the foreground does not hold OpenBrowser: it
// returns while the opener runs, and exited reports the end later.
func TestOpenBrowserDoesNotWait(t *testing.T) {
	dir := fakeOpener(t, `echo "$1" > "$(dirname "$0")/opened"; while [ ! -e "$(dirname "$0")/release" ]; do sleep 0.05; done`)
	release := func() {
		if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	type started struct {
		exited <-chan error
		err    error
	}
	returned := make(chan started, 1)
	go func() {
		exited, err := startBrowser("http://localhost:1/auth?x=1")
		returned <- started{exited, err}
	}()
	var exited <-chan error
	select {
	case s := <-returned:
		if s.err != nil {
			t.Fatal(s.err)
		}
		exited = s.exited
	case <-time.After(30 * time.Second):
		// Not a timing target: the opener only ends when released, so a
		// startBrowser that waits for it would never return at all.
		release()
		<-returned
		t.Fatal("startBrowser waited for the opener to end")
	}
	select {
	case err := <-exited:
		t.Fatalf("the opener ended before it was released: %v", err)
	default:
	}
	release()
	if err := <-exited; err != nil {
		t.Errorf("exited = %v, want nil", err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "opened"))
	if strings.TrimSpace(string(got)) != "http://localhost:1/auth?x=1" {
		t.Errorf("the opener got %q", got)
	}
}

func TestOpenBrowserFailure(t *testing.T) {
	fakeOpener(t, "echo 'xdg-open: no method available for opening' >&2\nexit 3\n")
	exited, err := startBrowser("http://localhost:1/")
	if err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("exited = %v, want the opener's failure", err)
	}
}
