package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/deckhand-dev/deckhand/engine"
)

// check is one line of the doctor's report.
type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Advice string `json:"advice,omitempty"`
}

// doctor checks what a user can get wrong, each on a line with ok or fail
// and what to do: the binary, the home folder and auth.json, the token, a
// live request to the login's host, the login callback port, and the editor
// integrations in sight. It never prints a token or key and runs no model
// turn. With --json it prints {ok, checks} for editors' health checks.
func doctor(ctx context.Context, o *options, log *zap.Logger, args []string, stdout, stderr io.Writer) int {
	asJSON := o.asJSON
	for _, a := range args {
		switch a {
		case "--json", "-json", "json":
			asJSON = true
		default:
			fmt.Fprintf(stderr, "deckhand doctor: unknown argument %q; the only one is --json\n", a)
			return 2
		}
	}
	checks := runChecks(ctx, o, log)
	allOK := true
	for _, c := range checks {
		allOK = allOK && c.OK
	}
	if asJSON {
		_ = json.NewEncoder(stdout).Encode(map[string]any{"ok": allOK, "version": version, "checks": checks})
	} else {
		for _, c := range checks {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(stdout, "%s  %-16s %s\n", mark, c.Name, c.Detail)
			if c.Advice != "" {
				fmt.Fprintf(stdout, "      %-16s -> %s\n", "", c.Advice)
			}
		}
		if allOK {
			fmt.Fprintln(stdout, "All checks passed.")
		} else {
			fmt.Fprintln(stdout, "Some checks failed: see the advice above.")
		}
	}
	if !allOK {
		return 1
	}
	return 0
}

func runChecks(ctx context.Context, o *options, log *zap.Logger) []check {
	out := []check{{Name: "version", OK: true,
		Detail: fmt.Sprintf("deckhand %s (%s/%s, %s)", version, runtime.GOOS, runtime.GOARCH, runtime.Version())}}
	out = append(out, homeCheck(o.home))
	in := engine.InspectLogin(o.home)
	file := authFileCheck(in, o.apiKey != "")
	out = append(out, file, tokenCheck(in))
	eng := newEngine(o, log, false)
	defer eng.Close()
	out = append(out, liveCheck(ctx, eng, in, file.OK, o.apiKey != ""))
	out = append(out, portCheck(eng.CallbackPorts()))
	out = append(out, editorCheck())
	out = append(out, sandboxCheck(ctx, o))
	out = append(out, mcpChecks(ctx, eng)...)
	return out
}

func homeCheck(home string) check {
	c := check{Name: "home", OK: true}
	info, err := os.Stat(home)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.Detail = home + " does not exist yet; the first login creates it (mode 0700)"
	case err != nil:
		c.OK, c.Detail = false, fmt.Sprintf("%s cannot be read: %v", home, err)
		c.Advice = "fix its permissions, or set DECKHAND_HOME to a folder you own"
	case !info.IsDir():
		c.OK, c.Detail = false, home+" is not a folder"
		c.Advice = "move that file away, or set DECKHAND_HOME to a folder"
	case info.Mode().Perm()&0o022 != 0:
		c.OK, c.Detail = false, fmt.Sprintf("%s is writable by others (mode %04o)", home, info.Mode().Perm())
		c.Advice = "run: chmod 700 " + shellQuote(home)
	default:
		c.Detail = fmt.Sprintf("%s (mode %04o)", home, info.Mode().Perm())
	}
	return c
}

func authFileCheck(in engine.LoginFile, envKey bool) check {
	c := check{Name: "auth.json", OK: true}
	login := "`deckhand login` (or the editor's connect)"
	switch {
	case !in.Exists && envKey:
		c.Detail = "none; the API key from OPENAI_API_KEY is used"
	case !in.Exists:
		c.OK, c.Detail, c.Advice = false, "none: not logged in", "log in with "+login
	case in.ReadErr != nil:
		c.OK, c.Detail = false, fmt.Sprintf("%s cannot be read: %v", in.Path, in.ReadErr)
		c.Advice = "fix its permissions (chmod 600), or log in again with " + login
	case in.ParseErr != nil:
		c.OK, c.Detail = false, fmt.Sprintf("%s is not valid JSON (%v)", in.Path, in.ParseErr)
		c.Advice = "log in again with " + login + ": deckhand keeps the broken file beside it as auth.json.corrupt-<time>"
	case in.Mode&0o077 != 0:
		c.OK, c.Detail = false, fmt.Sprintf("%s is readable by others (mode %04o)", in.Path, in.Mode)
		c.Advice = "run: chmod 600 " + shellQuote(in.Path)
	case !in.HasEntry && envKey:
		c.Detail = "no OpenAI login stored; the API key from OPENAI_API_KEY is used"
	case !in.HasEntry:
		c.OK, c.Detail, c.Advice = false, "no OpenAI login stored (other tools' entries: "+strings.Join(in.Providers, ", ")+")", "log in with "+login
	case in.EntryErr != nil:
		c.OK, c.Detail, c.Advice = false, in.EntryErr.Error(), "log in again with "+login
	case in.Cred.Type == "oauth":
		c.Detail = fmt.Sprintf("ChatGPT login (account %s), mode %04o", orNone(in.Cred.AccountID), in.Mode)
	default:
		c.Detail = fmt.Sprintf("API key stored, mode %04o", in.Mode)
	}
	return c
}

func tokenCheck(in engine.LoginFile) check {
	c := check{Name: "token", OK: true}
	if !in.HasEntry || in.EntryErr != nil || in.ParseErr != nil {
		c.Detail = "no stored ChatGPT token to check"
		return c
	}
	if in.Cred.Type != "oauth" {
		c.Detail = "an API key does not expire"
		return c
	}
	exp := engine.AccessExpiry(in.Cred)
	switch left := time.Until(exp); {
	case in.Cred.Refresh == "" && left <= 0:
		c.OK, c.Detail, c.Advice = false, "the access token expired at "+exp.Format(time.RFC3339)+" and no refresh token is stored", "log in again"
	case left <= 0:
		c.Detail = "the access token expired at " + exp.Format(time.RFC3339) + "; deckhand refreshes it on use (see the live check)"
	default:
		c.Detail = fmt.Sprintf("the access token is valid until %s (%s); it renews itself", exp.Format(time.RFC3339), left.Round(time.Minute))
	}
	return c
}

func liveCheck(ctx context.Context, eng *engine.Engine, in engine.LoginFile, fileOK, envKey bool) check {
	c := check{Name: "live", OK: false}
	if !fileOK && !(envKey && !in.Exists) {
		c.Detail = "skipped: no usable login (see auth.json)"
		c.Advice = "fix auth.json first"
		return c
	}
	host, n, err := eng.LiveCheck(ctx)
	var authReq *engine.AuthRequiredError
	switch {
	case err == nil:
		c.OK, c.Detail = true, fmt.Sprintf("%s answered the login with %d models", host, n)
	case errors.As(err, &authReq):
		c.Detail = authReq.Reason
		c.Advice = "log in again with `deckhand login`"
	case errors.Is(err, context.Canceled):
		c.Detail = "cancelled"
	default:
		where := host
		if where == "" {
			where = "OpenAI"
		}
		c.Detail = fmt.Sprintf("could not reach %s: %v", where, err)
		c.Advice = "check the network, a proxy (HTTPS_PROXY) or a firewall, and the DECKHAND_*_URL settings"
	}
	return c
}

func portCheck(ports []int) check {
	c := check{Name: "callback port"}
	var busy []string
	for i, p := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err == nil {
			ln.Close()
			c.OK = true
			c.Detail = fmt.Sprintf("%d is free for the browser login", p)
			if i > 0 {
				c.Detail = fmt.Sprintf("%s is busy; the browser login will use %d, the registered fallback", strings.Join(busy, ", "), p)
			}
			return c
		}
		busy = append(busy, strconv.Itoa(p))
	}
	c.Detail = "port " + strings.Join(busy, " and ") + " in use by another program"
	c.Advice = "close the program holding it (another login in progress?), or use the headless login (deckhand login headless)"
	return c
}

// editorCheck lists the deckhand integrations installed where VS Code,
// code-server and Neovim keep them.
func editorCheck() check {
	c := check{Name: "editors", OK: true}
	home, err := os.UserHomeDir()
	if err != nil {
		c.Detail = "no home folder to look in"
		return c
	}
	var found []string
	for _, d := range []struct{ label, dir string }{
		{"VS Code", filepath.Join(home, ".vscode", "extensions")},
		{"VS Code Server", filepath.Join(home, ".vscode-server", "extensions")},
		{"code-server", filepath.Join(home, ".local", "share", "code-server", "extensions")},
		{"VSCodium", filepath.Join(home, ".vscode-oss", "extensions")},
	} {
		if m, _ := filepath.Glob(filepath.Join(d.dir, "*deckhand*")); len(m) > 0 {
			found = append(found, d.label+" ("+filepath.Base(m[0])+")")
		}
	}
	nvim := filepath.Join(home, ".local", "share", "nvim")
	for _, pat := range []string{"lazy/deckhand*", "site/pack/*/start/deckhand*", "site/pack/*/opt/deckhand*", "plugged/deckhand*"} {
		if m, _ := filepath.Glob(filepath.Join(nvim, pat)); len(m) > 0 {
			found = append(found, "Neovim ("+m[0]+")")
			break
		}
	}
	if len(found) == 0 {
		c.Detail = "no deckhand extension or plugin found for VS Code or Neovim (an editor may still start deckhand by its path)"
		return c
	}
	c.Detail = strings.Join(found, "; ")
	return c
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func shellQuote(s string) string {
	if strings.ContainsAny(s, " '\"$\\`") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}
