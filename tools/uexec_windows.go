package tools

import (
	"errors"
	"io"
)

// errNoPTY reports a system without pseudo-terminals: commands then run on
// pipes.
var errNoPTY = errors.New("no PTY on this system")

// startTerminal is not available here: ConPTY would be needed.
func (p *process) startTerminal() (io.Reader, error) { return nil, errNoPTY }
