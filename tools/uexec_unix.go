//go:build unix

package tools

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/creack/pty"
)

// errNoPTY reports a system without pseudo-terminals: commands then run on
// pipes.
var errNoPTY = errors.New("no PTY on this system")

// startTerminal starts the command on a new PTY, as the leader of a session
// whose controlling terminal it is: its input, output and errors all go
// through the terminal, and a ^C written to it interrupts the command.
func (p *process) startTerminal() (io.Reader, error) {
	master, slave, err := pty.Open()
	if errors.Is(err, pty.ErrUnsupported) {
		return nil, errNoPTY
	}
	if err != nil {
		return nil, err
	}
	_ = pty.Setsize(master, &pty.Winsize{Rows: 40, Cols: 200})
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = slave, slave, slave
	p.cmd.SysProcAttr = terminalAttr()
	err = p.cmd.Start()
	slave.Close() // the command holds its own copies
	if err != nil {
		master.Close()
		return nil, err
	}
	p.input = master
	var once sync.Once
	p.closeIO = func() { once.Do(func() { master.Close() }) }
	pid := p.cmd.Process.Pid
	p.kill = func() error { return killGroup(pid) }
	p.release = func() {}
	return terminalReader{master}, nil
}

// terminalReader reads a PTY's master, where the end of output shows as EIO
// once every process holding the terminal is gone.
type terminalReader struct{ f *os.File }

func (r terminalReader) Read(b []byte) (int, error) {
	n, err := r.f.Read(b)
	if errors.Is(err, syscall.EIO) {
		err = io.EOF
	}
	return n, err
}
