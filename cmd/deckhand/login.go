package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/deckhand-dev/deckhand/engine"
)

// loginWatcher waits for the end of a login flow started from a terminal.
type loginWatcher struct {
	terminal
	done chan engine.LoginEvent
}

func (w *loginWatcher) LoginCompleted(ev engine.LoginEvent) { w.done <- ev }

// login logs in from a terminal with one of the three methods.
func login(ctx context.Context, o *options, log *zap.Logger, args []string, stdin io.Reader, stderr io.Writer) int {
	in := bufio.NewReader(stdin)
	method := ""
	if len(args) > 0 {
		method = args[0]
	} else {
		fmt.Fprintln(stderr, "Log in to OpenAI with:")
		for i, m := range engine.Methods() {
			fmt.Fprintf(stderr, "  %d. %s\n", i+1, m.Label)
		}
		fmt.Fprint(stderr, "Choose 1-3: ")
		line, _ := in.ReadString('\n')
		if n, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && n >= 1 && n <= 3 {
			method = engine.Methods()[n-1].ID
		}
	}
	switch strings.ToLower(method) {
	case "1", "browser":
		method = engine.MethodBrowser
	case "2", "headless", "device":
		method = engine.MethodHeadless
	case "3", "apikey", "api-key", "key":
		method = engine.MethodAPIKey
	default:
		fmt.Fprintln(stderr, "deckhand login: choose browser, headless or apikey")
		return 2
	}
	wd, _ := os.Getwd()
	eng := newEngine(o, log, true)
	defer eng.Close()
	w := &loginWatcher{terminal: terminal{out: stderr}, done: make(chan engine.LoginEvent, 1)}
	if _, err := eng.Attach(w, wd, false); err != nil {
		fmt.Fprintln(stderr, "deckhand login:", err)
		return 1
	}
	if method == engine.MethodAPIKey {
		fmt.Fprint(stderr, "OpenAI API key (not shown): ")
		key, err := readSecret(stdin, in)
		fmt.Fprintln(stderr)
		if err != nil {
			fmt.Fprintln(stderr, "deckhand login:", err)
			return 1
		}
		st, err := eng.ConnectAPIKey(ctx, key)
		if err != nil {
			fmt.Fprintln(stderr, "deckhand login:", strings.TrimPrefix(err.Error(), "invalid params: "))
			return 1
		}
		if st.Warning != "" {
			fmt.Fprintln(stderr, "Warning:", st.Warning)
		}
		fmt.Fprintln(stderr, "API key stored in", o.home)
		return 0
	}
	info, err := eng.StartOAuth(ctx, method, true)
	if err != nil {
		fmt.Fprintln(stderr, "deckhand login:", err)
		return 1
	}
	if method == engine.MethodBrowser {
		fmt.Fprintf(stderr, "Opening your browser. If it does not open, visit:\n\n  %s\n\nWaiting for the login", info.URL)
	} else {
		fmt.Fprintf(stderr, "Open %s and enter the code\n\n    %s\n\n", info.VerificationURL, info.UserCode)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case ev := <-w.done:
			fmt.Fprintln(stderr)
			if ev.State != engine.FlowComplete {
				fmt.Fprintf(stderr, "Login %s: %v\n", ev.State, ev.Err)
				return 1
			}
			fmt.Fprintf(stderr, "Logged in to ChatGPT (account %s).\n", ev.Status.AccountID)
			return 0
		case <-ctx.Done():
			eng.CancelFlow(info.FlowID)
			fmt.Fprintln(stderr, "\nLogin cancelled.")
			return 1
		case <-tick.C:
			left := time.Until(info.ExpiresAt).Round(time.Second)
			if method == engine.MethodHeadless {
				fmt.Fprintf(stderr, "\rWaiting for you to enter the code… %s left ", left)
			} else {
				fmt.Fprint(stderr, ".")
			}
		}
	}
}

// readSecret reads a line without echoing it when stdin is a terminal.
func readSecret(stdin io.Reader, in *bufio.Reader) (string, error) {
	if f, ok := stdin.(*os.File); ok && in.Buffered() == 0 && term.IsTerminal(int(f.Fd())) {
		// Nothing typed ahead sits in the buffered reader, so reading
		// the descriptor directly (echo off) loses nothing.
		b, err := term.ReadPassword(int(f.Fd()))
		if err != nil {
			return "", fmt.Errorf("no key read: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	line, err := in.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("no key read: %w", err)
	}
	return strings.TrimSpace(line), nil
}

func logout(ctx context.Context, o *options, log *zap.Logger, stdout, stderr io.Writer) int {
	eng := newEngine(o, log, false)
	defer eng.Close()
	st, err := eng.Logout(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "deckhand logout:", err)
		return 1
	}
	fmt.Fprintln(stdout, "Logged out.", describe(st))
	return 0
}

func status(o *options, log *zap.Logger, stdout io.Writer) int {
	eng := newEngine(o, log, false)
	defer eng.Close()
	st := eng.Status()
	fmt.Fprintln(stdout, describe(st))
	if l, ok := eng.Limits(); ok && st.Type == "oauth" {
		printLimits(stdout, l, time.Now())
	}
	return 0
}

// printLimits prints the plan limits the service last reported, each window
// by its length.
func printLimits(w io.Writer, l engine.Limits, now time.Time) {
	head := "Plan limits"
	if l.PlanType != "" {
		head += " (" + l.PlanType + ")"
	}
	if !l.ObservedAt.IsZero() {
		head += ", as of " + l.ObservedAt.Local().Format(time.RFC1123)
	}
	fmt.Fprintln(w, head+":")
	for _, win := range l.Windows {
		fmt.Fprintln(w, "  "+win.Line(now))
	}
	if c := l.Credits; c != nil {
		switch {
		case c.Unlimited:
			fmt.Fprintln(w, "  credits: unlimited")
		case c.HasCredits:
			fmt.Fprintln(w, "  credits: "+c.Balance)
		}
	}
}

func describe(st engine.Status) string {
	switch st.Type {
	case "oauth":
		s := "Logged in with ChatGPT"
		if st.AccountID != "" {
			s += " (account " + st.AccountID + ")"
		}
		if !st.ExpiresAt.IsZero() {
			s += "; the access token renews itself, next at " + st.ExpiresAt.Local().Format(time.RFC1123)
		}
		return s + "."
	case "api":
		if st.Source == "env" {
			return "Using the API key from OPENAI_API_KEY."
		}
		return "Logged in with a stored API key."
	default:
		return "Not logged in: run `deckhand login`."
	}
}
