package sandbox

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Landlock closes TCP connect and bind (ABI 4), but not the other ways a
// socket reaches the network: Multipath TCP (curl --mptcp), UDP before
// ABI 10, raw and packet sockets (for root), and io_uring, whose socket
// operations seccomp cannot see. A seccomp filter refuses those: an
// AF_INET or AF_INET6 socket must be plain TCP (which Landlock governs),
// AF_PACKET sockets and io_uring are refused, the rest (Unix sockets,
// netlink) is allowed.

// filterArch is the seccomp audit architecture of this build, and whether
// it has x32 system calls to refuse (amd64); ok is false where deckhand
// has no filter.
func filterArch() (arch uint32, x32, ok bool) {
	switch runtime.GOARCH {
	case "amd64":
		return unix.AUDIT_ARCH_X86_64, true, true
	case "arm64":
		return unix.AUDIT_ARCH_AARCH64, false, true
	}
	return 0, false, false
}

// bpf is a tiny assembler: instructions with symbolic jump targets.
type bpf struct {
	insns  []unix.SockFilter
	labels map[string]int
	fixups []fixup
}

type fixup struct {
	at     int
	jt, jf string
}

func (b *bpf) label(name string) { b.labels[name] = len(b.insns) }

func (b *bpf) stmt(code uint16, k uint32) {
	b.insns = append(b.insns, unix.SockFilter{Code: code, K: k})
}

// jump compares the accumulator with k (op: BPF_JEQ, BPF_JSET) and goes to
// jt when it holds, jf when not ("" is the next instruction).
func (b *bpf) jump(op uint16, k uint32, jt, jf string) {
	b.fixups = append(b.fixups, fixup{len(b.insns), jt, jf})
	b.stmt(unix.BPF_JMP|op|unix.BPF_K, k)
}

func (b *bpf) assemble() ([]unix.SockFilter, error) {
	for _, f := range b.fixups {
		for _, j := range []struct {
			name string
			dst  *uint8
		}{{f.jt, &b.insns[f.at].Jt}, {f.jf, &b.insns[f.at].Jf}} {
			if j.name == "" {
				continue
			}
			to, ok := b.labels[j.name]
			if !ok || to <= f.at || to-f.at-1 > 255 {
				return nil, fmt.Errorf("seccomp filter: bad jump to %q", j.name)
			}
			*j.dst = uint8(to - f.at - 1)
		}
	}
	return b.insns, nil
}

// Offsets in struct seccomp_data: nr, arch, then the arguments (the low
// half of each, on these little-endian machines).
const (
	offNr   = 0
	offArch = 4
	offArg0 = 16
	offArg1 = 24
	offArg2 = 32
)

// socketFilter is the filter for this architecture.
func socketFilter() ([]unix.SockFilter, error) {
	arch, x32, ok := filterArch()
	if !ok {
		return nil, fmt.Errorf("no socket filter for %s", runtime.GOARCH)
	}
	b := &bpf{labels: map[string]int{}}
	load := func(off uint32) { b.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, off) }
	load(offArch)
	b.jump(unix.BPF_JEQ, arch, "", "deny") // another architecture's calls
	load(offNr)
	if x32 {
		b.jump(unix.BPF_JSET, 0x40000000, "deny", "")
	}
	b.jump(unix.BPF_JEQ, unix.SYS_IO_URING_SETUP, "deny", "")
	b.jump(unix.BPF_JEQ, unix.SYS_SOCKET, "", "allow")
	load(offArg0) // the domain
	b.jump(unix.BPF_JEQ, unix.AF_PACKET, "deny", "")
	b.jump(unix.BPF_JEQ, unix.AF_INET, "inet", "")
	b.jump(unix.BPF_JEQ, unix.AF_INET6, "inet", "allow")
	b.label("inet")
	load(offArg1) // the type, less SOCK_NONBLOCK and SOCK_CLOEXEC
	b.stmt(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, 0xf)
	b.jump(unix.BPF_JEQ, unix.SOCK_STREAM, "", "deny")
	load(offArg2) // the protocol: 0 or TCP, not MPTCP
	b.jump(unix.BPF_JEQ, 0, "allow", "")
	b.jump(unix.BPF_JEQ, unix.IPPROTO_TCP, "allow", "deny")
	b.label("allow")
	b.stmt(unix.BPF_RET|unix.BPF_K, unix.SECCOMP_RET_ALLOW)
	b.label("deny")
	b.stmt(unix.BPF_RET|unix.BPF_K, unix.SECCOMP_RET_ERRNO|uint32(unix.EACCES))
	return b.assemble()
}

// closeSockets installs the socket filter on the calling thread, which
// must have no_new_privs set and must execute the command next.
func closeSockets() error {
	insns, err := socketFilter()
	if err != nil {
		return err
	}
	prog := unix.SockFprog{Len: uint16(len(insns)), Filter: &insns[0]}
	if err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&prog)), 0, 0); err != nil {
		return fmt.Errorf("seccomp filter: %w", err)
	}
	return nil
}
