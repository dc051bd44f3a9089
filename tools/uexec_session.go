package tools

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"time"
)

// Unified exec: commands that may outlive the call that started them. A
// command runs in a PTY (or on pipes) in a process group of its own; when it
// is still running after the call's yield time, the call returns its output
// so far and a session id, and later calls (write_stdin) feed its input or
// wait for more output. Each deckhand session holds its commands in one
// Execs, which kills them all, with everything they started, on Close.

const (
	// MaxExecSessions bounds the commands one deckhand session keeps
	// running; starting one more ends the least recently used.
	MaxExecSessions = 16
	// execBufferSize bounds the output a command keeps between two reads
	// (half its start, half its end).
	execBufferSize = 1 << 20
	// execDrainDelay bounds the wait for output after a command ended and
	// its group was killed, when a process that left the group still holds
	// the terminal or the pipe.
	execDrainDelay = 2 * time.Second
)

// Execs is one deckhand session's running commands.
type Execs struct {
	mu     sync.Mutex
	procs  map[int]*process
	closed bool
}

// NewExecs returns an empty set of commands.
func NewExecs() *Execs { return &Execs{procs: map[int]*process{}} }

// ErrExecsClosed reports a command started after its session closed.
var ErrExecsClosed = errors.New("the session is closed: no command can start")

// process is one running command.
type process struct {
	id      int
	command string
	cmd     *exec.Cmd
	kill    func() error // kills the command's whole group
	release func()       // frees what the group needed, after the end
	input   io.Writer    // the terminal's master, or the stdin pipe
	closeIO func()       // closes the parent's ends
	started time.Time
	used    time.Time // guarded by Execs.mu

	mu   sync.Mutex
	out  *headTail    // output since the last read
	sink func(string) // where output goes as it comes, while a call waits
	wake chan struct{}

	ended chan struct{} // closed once the command ended and its output is read
	state *os.ProcessState
	code  *int // the exit code of a command in an editor's terminal (terminal.go)
}

// Len is the number of live commands.
func (x *Execs) Len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.procs)
}

// add registers p under a fresh id, ending the least recently used command
// when MaxExecSessions already run; pruned names the one ended (0: none).
func (x *Execs) add(p *process) (pruned int, err error) {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return 0, ErrExecsClosed
	}
	var victim *process
	if len(x.procs) >= MaxExecSessions {
		for _, q := range x.procs {
			if victim == nil || q.used.Before(victim.used) {
				victim = q
			}
		}
		delete(x.procs, victim.id)
	}
	for {
		id := 1000 + rand.IntN(99000)
		if _, taken := x.procs[id]; !taken {
			p.id = id
			break
		}
	}
	p.used = time.Now()
	x.procs[p.id] = p
	x.mu.Unlock()
	if victim != nil {
		victim.stop()
		return victim.id, nil
	}
	return 0, nil
}

// get returns the live command id and marks it used.
func (x *Execs) get(id int) (*process, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p, ok := x.procs[id]
	if ok {
		p.used = time.Now()
	}
	return p, ok
}

// remove forgets the command id (it ended, or was killed).
func (x *Execs) remove(id int) {
	x.mu.Lock()
	delete(x.procs, id)
	x.mu.Unlock()
}

// KillAll kills every running command with everything it started, and
// waits for them; new commands may start afterwards. A turn's cancel calls it.
func (x *Execs) KillAll() {
	x.mu.Lock()
	procs := x.procs
	x.procs = map[int]*process{}
	x.mu.Unlock()
	for _, p := range procs {
		p.stop()
	}
}

// Close kills every running command and refuses new ones: the session is
// closing, or deckhand is exiting.
func (x *Execs) Close() {
	x.mu.Lock()
	x.closed = true
	x.mu.Unlock()
	x.KillAll()
}

// startSpec is what start needs to run one command.
type startSpec struct {
	dir     string
	shell   string
	login   bool
	tty     bool
	command string
	sandbox *CommandSandbox // nil: not sandboxed
}

// start runs the command and the goroutines that read its output and wait
// for its end. With tty and a system that has PTYs the command gets a
// terminal; otherwise pipes.
func start(spec startSpec) (*process, error) {
	flag := "-c"
	if spec.login {
		flag = "-lc"
	}
	argv := []string{spec.shell, flag, spec.command}
	environ := append(commandEnv(os.Environ()), "TERM=dumb", "PAGER=cat", "GIT_PAGER=cat", "NO_COLOR=1")
	cleanup := func() {}
	if spec.sandbox != nil {
		// The command's own temp dir, writable in the sandbox, is its
		// TMPDIR; it goes when the command ends.
		tmp, err := os.MkdirTemp("", "deckhand-cmd-")
		if err != nil {
			return nil, fmt.Errorf("the sandbox cannot run this command: temp dir: %w", err)
		}
		if argv, err = spec.sandbox.Wrap(argv, tmp); err != nil {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("the sandbox cannot run this command: %w", err)
		}
		environ = append(environ, "TMPDIR="+tmp)
		cleanup = func() { os.RemoveAll(tmp) }
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = spec.dir
	cmd.Env = environ
	p := &process{
		command: spec.command,
		cmd:     cmd,
		out:     newHeadTail(execBufferSize),
		wake:    make(chan struct{}, 1),
		ended:   make(chan struct{}),
		started: time.Now(),
	}
	var output io.Reader
	var err error
	if spec.tty {
		output, err = p.startTerminal()
		if errors.Is(err, errNoPTY) {
			spec.tty = false
		}
	}
	if !spec.tty {
		output, err = p.startPipes()
	}
	if err != nil {
		cleanup()
		return nil, err
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		p.pump(output)
	}()
	go func() {
		_ = cmd.Wait()
		_ = p.kill() // what it left running in its group ends with it
		timer := time.NewTimer(execDrainDelay)
		select {
		case <-read:
		case <-timer.C:
			p.closeIO()
			<-read
		}
		timer.Stop()
		p.closeIO()
		p.release()
		cleanup()
		p.mu.Lock()
		p.state = cmd.ProcessState
		p.mu.Unlock()
		close(p.ended)
	}()
	return p, nil
}

// startPipes starts the command with its input on a pipe and its output and
// errors together on another, in a process group of its own.
func (p *process) startPipes() (io.Reader, error) {
	group, err := newProcGroup()
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		group.release()
		return nil, fmt.Errorf("pipe: %w", err)
	}
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		pr.Close()
		pw.Close()
		group.release()
		return nil, err
	}
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	p.cmd.SysProcAttr = group.attr()
	if err := p.cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		group.release()
		return nil, err
	}
	pw.Close()
	p.input = stdin
	var once sync.Once
	p.closeIO = func() { once.Do(func() { stdin.Close(); pr.Close() }) }
	p.kill = func() error { return group.kill(p.cmd.Process.Pid) }
	p.release = group.release
	return pr, nil
}

// pump copies the command's output into its buffer, and to the sink of the
// call waiting on it, until the output ends.
func (p *process) pump(r io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			p.mu.Lock()
			_, _ = p.out.Write(chunk)
			sink := p.sink
			p.mu.Unlock()
			if sink != nil {
				sink(string(chunk))
			}
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// stop kills the command and its group and waits for its end.
func (p *process) stop() {
	_ = p.kill()
	<-p.ended
}

// await waits until the command ends, the deadline passes or ctx ends,
// sending output to sink as it comes; ended reports the first.
func (p *process) await(ctx context.Context, deadline time.Time, sink func(string)) (ended bool) {
	p.mu.Lock()
	p.sink = sink
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.sink = nil
		p.mu.Unlock()
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-p.ended:
		return true
	case <-timer.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// take returns the output kept since the last take, and empties the buffer.
func (p *process) take() (head, tail []byte, omitted int64) {
	p.mu.Lock()
	out := p.out
	p.out = newHeadTail(execBufferSize)
	p.mu.Unlock()
	return out.parts()
}

// exitCode is the command's exit code once it ended (-1 when killed by a
// signal, as os.ProcessState says).
func (p *process) exitCode() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.code != nil {
		return *p.code
	}
	if p.state == nil {
		return -1
	}
	return p.state.ExitCode()
}
