package main

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
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
	dir := fakeOpener(t, `echo "$1" > "$(dirname "$0")/opened"; echo noise; while [ ! -e "$(dirname "$0")/release" ]; do sleep 0.05; done`)
	exited, err := startBrowser("http://localhost:1/auth?x=1", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		t.Fatalf("the opener ended before it was released: %v", err)
	default:
	}
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
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
	exited, err := startBrowser("http://localhost:1/", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("exited = %v, want the opener's failure", err)
	}
}
