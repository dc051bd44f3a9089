//go:build linux && !cgo && (amd64 || arm64)

package nodump

// setNonDumpable is in assembly, so that this package imports nothing.
func setNonDumpable() uintptr
