package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/engine"
)

// resumeFlag is --resume: alone it picks the last session of the
// workspace, --resume=ID (or --resume ID before the prompt) names one.
type resumeFlag struct {
	set bool
	id  string
}

func (r *resumeFlag) String() string   { return r.id }
func (r *resumeFlag) IsBoolFlag() bool { return true }
func (r *resumeFlag) Set(v string) error {
	r.set = true
	switch v {
	case "true":
		r.id = ""
	case "false":
		r.set = false
	default:
		r.id = v
	}
	return nil
}

// listSessions prints the stored sessions of the current directory's
// workspace (of every workspace with --all), newest first.
func listSessions(o *options, log *zap.Logger, stdout, stderr io.Writer) int {
	root := ""
	if !o.allSessions {
		wd, err := os.Getwd()
		if err != nil {
			fmt.Fprintln(stderr, "deckhand sessions:", err)
			return 1
		}
		root = wd
	}
	eng := newEngine(o, log, false)
	defer eng.Close()
	list, err := eng.ListSessions(root, 0)
	if err != nil {
		fmt.Fprintln(stderr, "deckhand sessions:", err)
		return 1
	}
	if len(list) == 0 {
		if o.allSessions {
			fmt.Fprintln(stdout, "No sessions yet: `deckhand exec \"prompt\"` or an editor starts one.")
		} else {
			fmt.Fprintln(stdout, "No sessions of this workspace yet: `deckhand exec \"prompt\"` starts one (`deckhand sessions --all` lists every workspace's).")
		}
		return 0
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "SESSION\tUPDATED\tTURNS\tTITLE")
	for _, s := range list {
		updated := s.UpdatedAt.Local().Format(time.DateTime)
		if s.Broken {
			fmt.Fprintf(w, "%s\t%s\t-\tbroken: %s\n", s.SessionID, updated, s.Error)
			continue
		}
		title := s.Title
		if o.allSessions {
			title += "  (" + s.WorkspaceRoot + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", s.SessionID, updated, s.Turns, title)
	}
	w.Flush()
	return 0
}

// resumeTarget picks the session exec --resume continues: the one named, or
// the last one of the workspace. It may take the id from the first word of
// the prompt (--resume ID "prompt").
func resumeTarget(eng *engine.Engine, r resumeFlag, wd string, args []string) (id string, rest []string, err error) {
	if r.id != "" {
		return r.id, args, nil
	}
	if len(args) > 1 && eng.HasSession(args[0]) {
		return args[0], args[1:], nil
	}
	list, err := eng.ListSessions(wd, 0)
	if err != nil {
		return "", nil, err
	}
	for _, s := range list {
		if !s.Broken {
			return s.SessionID, args, nil
		}
	}
	return "", nil, errNothingToResume
}

var errNothingToResume = errors.New("no session of this workspace to resume: leave --resume out to start one (`deckhand sessions` lists them)")

// sayError words an engine error for the terminal.
func sayError(err error) string {
	var (
		unknown *engine.UnknownSessionError
		busy    *engine.SessionBusyError
	)
	switch {
	case errors.As(err, &unknown):
		return fmt.Sprintf("no session %q here: `deckhand sessions` lists this workspace's", unknown.SessionID)
	case errors.As(err, &busy):
		return fmt.Sprintf("session %s is running a turn in another deckhand: wait for it to end", busy.SessionID)
	}
	return strings.TrimSuffix(err.Error(), ".")
}
