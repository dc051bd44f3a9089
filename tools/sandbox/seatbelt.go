package sandbox

import (
	"fmt"
	"strings"
)

// seatbeltBase is what every sandboxed command may do on macOS besides
// files and the network: run and fork programs, signal and inspect its
// own processes, read system settings, use a terminal and shared memory,
// and reach the few system services that user lookups, logging and time
// zones need. Everything else is denied.
const seatbeltBase = `(version 1)
(deny default)
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))
(allow sysctl-read)
(allow pseudo-tty)
(allow ipc-posix-sem)
(allow ipc-posix-shm-read* ipc-posix-shm-write-create ipc-posix-shm-write-data)
(allow mach-lookup
  (global-name "com.apple.system.opendirectoryd.libinfo")
  (global-name "com.apple.system.logger")
  (global-name "com.apple.logd")
  (global-name "com.apple.system.notification_center")
  (global-name "com.apple.timezoned")
  (global-name "com.apple.SecurityServer"))
`

// Profile is p as a Seatbelt profile for /usr/bin/sandbox-exec -p. In a
// profile the last rule that matches decides, so the hidden folders are
// denied after everything is allowed to be read.
func Profile(p Policy) string {
	var b strings.Builder
	b.WriteString(seatbeltBase)
	b.WriteString("(allow file-read*)\n")
	b.WriteString("(allow file-read* file-write-data file-ioctl\n")
	for _, d := range devices {
		fmt.Fprintf(&b, "  (literal %s)\n", sbplString(d))
	}
	b.WriteString("  (regex #\"^/dev/ttys[0-9]+$\"))\n")
	if len(p.Writable) > 0 {
		b.WriteString("(allow file-write*\n")
		for _, w := range p.Writable {
			fmt.Fprintf(&b, "  (subpath %s)", sbplString(w))
			b.WriteString("\n")
		}
		b.WriteString(")\n")
	}
	if p.Network {
		b.WriteString("(allow network* system-socket)\n(allow mach-lookup (global-name \"com.apple.dnssd.service\"))\n")
	}
	for _, h := range p.Hidden {
		fmt.Fprintf(&b, "(deny file-read* file-write* (subpath %s))\n", sbplString(h))
	}
	return b.String()
}

// sbplString quotes s as a profile's string literal.
func sbplString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
