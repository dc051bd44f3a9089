package sandbox

import (
	"bytes"
	"strconv"

	"context"
	"fmt"
	"golang.org/x/sys/unix"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// TestMain lets the test binary stand in for deckhand: run as
// `sandbox.test sandbox-exec ...` it is the re-exec.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == Command {
		os.Exit(Main(os.Args[2:], os.Stderr))
	}
	if len(os.Args) > 2 && os.Args[1] == "probe-sockets" {
		probeSockets(os.Args[2])
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// landlocked is this machine's Landlock sandbox, with the test binary as
// the re-exec; the test is skipped where the kernel has none.
func landlocked(t *testing.T) Sandbox {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := Detect(self)
	if s.Kind != Landlock {
		t.Skipf("no Landlock on this machine, the sandbox cannot be tested here: %s", s.Reason)
	}
	return s
}

// sandboxed runs a bash script under p and returns its output and error.
func sandboxed(t *testing.T, s Sandbox, p Policy, dir, script string) (string, error) {
	t.Helper()
	argv, err := s.Wrap(p, []string{"bash", "-c", script})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

// tree is a workspace, a folder outside it (standing for ~/.ssh) and a
// deckhand home with a login in it, all outside the writable folders.
type tree struct{ ws, outside, home, auth string }

func newTree(t *testing.T) (tree, Policy) {
	base := realPath(t.TempDir())
	tr := tree{ws: filepath.Join(base, "ws"), outside: filepath.Join(base, "dot-ssh"), home: filepath.Join(base, "deckhand-home")}
	for _, d := range []string{tr.ws, tr.outside, tr.home} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	tr.auth = filepath.Join(tr.home, "auth.json")
	os.WriteFile(tr.auth, []byte(`{"secret":"sk-sandbox-test"}`), 0o600)
	os.WriteFile(filepath.Join(tr.outside, "known_hosts"), []byte("host key\n"), 0o600)
	// Only the workspace is writable: the system temp folder holds the
	// other two, so it is left out here on purpose.
	return tr, Policy{Writable: []string{tr.ws}, Hidden: []string{tr.home}}
}

func TestLandlockWritesOnlyTheWorkspace(t *testing.T) {
	s := landlocked(t)
	tr, p := newTree(t)
	out, err := sandboxed(t, s, p, tr.ws, "echo made > made.txt && mkdir -p sub/dir && mv made.txt sub/dir/ && cat sub/dir/made.txt && cat "+tr.outside+"/known_hosts > /dev/null && echo fine")
	if err != nil || !strings.Contains(out, "made\nfine") {
		t.Fatalf("work inside the workspace failed: %v\n%s", err, out)
	}
	escapes := map[string]string{
		"write outside":       "echo key > " + tr.outside + "/authorized_keys",
		"append outside":      "echo key >> " + tr.outside + "/known_hosts",
		"mkdir outside":       "mkdir " + tr.outside + "/new",
		"move out":            "echo x > ws.txt && mv ws.txt " + tr.outside + "/moved",
		"symlink out":         "ln -s " + tr.outside + " link && echo key > link/authorized_keys",
		"hard link in":        "ln " + tr.outside + "/known_hosts hl && echo key >> hl",
		"proc root":           "echo key > /proc/self/root" + tr.outside + "/authorized_keys",
		"child that re-execs": "bash -c 'exec sh -c \"echo key > " + tr.outside + "/authorized_keys\"'",
		"write the home":      "echo x > " + tr.home + "/sessions",
		"truncate outside":    "truncate -s 0 " + tr.outside + "/known_hosts",
		"remove outside":      "rm -f " + tr.outside + "/known_hosts",
		"nested sandbox-exec": fmt.Sprintf("%q %s --policy '{\"writable\":[\"/\"]}' -- sh -c 'echo key > %s/authorized_keys'", s.self, Command, tr.outside),
	}
	for name, script := range escapes {
		out, err := sandboxed(t, s, p, tr.ws, script)
		if err == nil {
			t.Errorf("%s: succeeded inside the sandbox:\n%s", name, out)
		}
	}
	if _, err := os.Stat(filepath.Join(tr.outside, "authorized_keys")); err == nil {
		t.Error("authorized_keys was written outside the workspace")
	}
	if b, _ := os.ReadFile(filepath.Join(tr.outside, "known_hosts")); string(b) != "host key\n" {
		t.Errorf("known_hosts changed to %q", b)
	}
	entries, _ := os.ReadDir(tr.outside)
	if len(entries) != 1 {
		t.Errorf("the outside folder holds %d entries, want 1", len(entries))
	}
}

func TestLandlockHidesDeckhandHome(t *testing.T) {
	s := landlocked(t)
	tr, p := newTree(t)
	os.Symlink(tr.home, filepath.Join(tr.ws, "home-link"))
	reads := map[string]string{
		"cat":         "cat " + tr.auth,
		"list":        "ls " + tr.home,
		"symlink":     "cat home-link/auth.json",
		"proc root":   "cat /proc/self/root" + tr.auth,
		"hard link":   "ln " + tr.auth + " stolen && cat stolen",
		"copy":        "cp " + tr.auth + " stolen",
		"parent list": "ls " + filepath.Dir(tr.home) + " && cat " + filepath.Dir(tr.home) + "/deckhand-home/auth.json",
	}
	for name, script := range reads {
		out, err := sandboxed(t, s, p, tr.ws, script)
		if err == nil || strings.Contains(out, "sk-sandbox-test") {
			t.Errorf("%s: read deckhand's home inside the sandbox (%v):\n%s", name, err, out)
		}
	}
	if _, err := os.Stat(filepath.Join(tr.ws, "stolen")); err == nil {
		b, _ := os.ReadFile(filepath.Join(tr.ws, "stolen"))
		if strings.Contains(string(b), "sk-sandbox-test") {
			t.Error("the login was copied into the workspace")
		}
	}
}

// TestLandlockHomeInsideTheWorkspace: a workspace that holds deckhand's
// home (the user's home folder opened as a project) is writable around it.
func TestLandlockHomeInsideTheWorkspace(t *testing.T) {
	s := landlocked(t)
	tr, _ := newTree(t)
	base := filepath.Dir(tr.home)
	p := Policy{Writable: []string{base}, Hidden: []string{tr.home}}
	if out, err := sandboxed(t, s, p, tr.ws, "echo x > made.txt && echo y > "+tr.outside+"/y && echo ok"); err != nil || !strings.Contains(out, "ok") {
		t.Errorf("writing in the workspace around the home failed: %v\n%s", err, out)
	}
	for name, script := range map[string]string{
		"read":      "cat " + tr.auth,
		"overwrite": "echo '{}' > " + tr.auth,
		"add":       "echo x > " + tr.home + "/planted",
		"move away": "mv " + tr.home + " " + tr.ws + "/taken",
	} {
		if out, err := sandboxed(t, s, p, tr.ws, script); err == nil || strings.Contains(out, "sk-sandbox-test") {
			t.Errorf("%s: reached the home inside the workspace (%v):\n%s", name, err, out)
		}
	}
	if b, _ := os.ReadFile(tr.auth); !strings.Contains(string(b), "sk-sandbox-test") {
		t.Errorf("auth.json changed to %q", b)
	}
}

func TestLandlockClosesTCP(t *testing.T) {
	s := landlocked(t)
	if !s.NetworkClosed {
		t.Skipf("this kernel's Landlock cannot close TCP: %s", s.Reason)
	}
	tr, p := newTree(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	out, err := sandboxed(t, s, p, tr.ws, fmt.Sprintf("echo secret > /dev/tcp/127.0.0.1/%d", port))
	if err == nil {
		t.Errorf("a TCP connection was opened inside the sandbox:\n%s", out)
	}
	// The same command outside the sandbox does connect: the listener works.
	if err := exec.Command("bash", "-c", fmt.Sprintf("echo hi > /dev/tcp/127.0.0.1/%d", port)).Run(); err != nil {
		t.Fatalf("the listener cannot be reached even unsandboxed: %v", err)
	}
	select {
	case <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("the unsandboxed connection never arrived")
	}
	select {
	case <-accepted:
		t.Error("the sandboxed command's connection arrived")
	case <-time.After(200 * time.Millisecond):
	}
	if out, err := sandboxed(t, s, p, tr.ws, fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d", port+1)); err == nil {
		t.Errorf("a second port was reachable:\n%s", out)
	}
}

func TestLandlockReadOnly(t *testing.T) {
	s := landlocked(t)
	tr, _ := newTree(t)
	p := Policy{Hidden: []string{tr.home}}
	if out, err := sandboxed(t, s, p, tr.ws, "ls . > /dev/null && echo ok"); err != nil || !strings.Contains(out, "ok") {
		t.Errorf("reading failed under read-only: %v\n%s", err, out)
	}
	if out, err := sandboxed(t, s, p, tr.ws, "echo x > made.txt"); err == nil {
		t.Errorf("a write succeeded under read-only:\n%s", out)
	}
}

func TestMainRefusesBadArguments(t *testing.T) {
	var stderr bytes.Buffer
	if code := Main([]string{"--", "true"}, &stderr); code != 2 || !strings.Contains(stderr.String(), "--policy") {
		t.Errorf("Main without a policy: %d %q", code, stderr.String())
	}
	stderr.Reset()
	if code := Main([]string{"--policy", "{}", "--", "no-such-command-xyz"}, &stderr); code != exitNotFound {
		t.Errorf("Main of a missing command: %d %q", code, stderr.String())
	}
}

// probeSockets tries each kind of socket on 127.0.0.1:port and prints
// "name ok" or "name denied" for each.
func probeSockets(port string) {
	p, _ := strconv.Atoi(port)
	addr := &unix.SockaddrInet4{Port: p, Addr: [4]byte{127, 0, 0, 1}}
	try := func(name string, domain, typ, proto int, connect bool) {
		fd, err := unix.Socket(domain, typ, proto)
		if err == nil && connect {
			err = unix.Connect(fd, addr)
		}
		if err == nil && typ == unix.SOCK_DGRAM {
			err = unix.Sendto(fd, []byte("x"), 0, addr)
		}
		if fd >= 0 {
			unix.Close(fd)
		}
		if err != nil {
			fmt.Println(name, "denied")
		} else {
			fmt.Println(name, "ok")
		}
	}
	try("tcp", unix.AF_INET, unix.SOCK_STREAM, 0, true)
	try("mptcp", unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP, true)
	try("udp", unix.AF_INET, unix.SOCK_DGRAM, 0, false)
	try("packet", unix.AF_PACKET, unix.SOCK_RAW, 0, false)
	try("unix", unix.AF_UNIX, unix.SOCK_STREAM, 0, false)
	try("tcp-socket", unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0, false)
	var params [120]byte
	_, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&params[0])), 0)
	if errno != 0 {
		fmt.Println("io_uring denied")
	} else {
		fmt.Println("io_uring ok")
	}
}

// TestSocketFilterClosesTheOtherWays: Multipath TCP, UDP, packet sockets and
// io_uring cannot reach out of the sandbox either; Unix sockets and
// creating a TCP socket (whose connect Landlock refuses) still work.
func TestSocketFilterClosesTheOtherWays(t *testing.T) {
	s := landlocked(t)
	if !s.NetworkClosed {
		t.Skipf("this sandbox does not close the network: %s", s.Reason)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	self, _ := os.Executable()
	run := func(p Policy) string {
		argv, err := s.Wrap(p, []string{self, "probe-sockets", port})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return string(out)
	}
	closed := run(Policy{})
	for _, want := range []string{"tcp denied", "mptcp denied", "udp denied", "packet denied", "io_uring denied", "unix ok", "tcp-socket ok"} {
		if !strings.Contains(closed, want+"\n") {
			t.Errorf("sandboxed: want %q in\n%s", want, closed)
		}
	}
	// The same probe with the network allowed reaches the listener: the
	// denials above are the sandbox's.
	open := run(Policy{Network: true})
	for _, want := range []string{"tcp ok", "udp ok", "unix ok"} {
		if !strings.Contains(open, want+"\n") {
			t.Errorf("with the network open: want %q in\n%s", want, open)
		}
	}
}
