package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/deckhand-dev/deckhand/engine"
)

// version is deckhand's version; release builds set it with -ldflags.
var version = "0.1.0"

// isWireVersion reports whether v has the shape DECKHAND_WIRE_VERSION may
// hold: x.y.z, each one to four digits. Every start checks it, so it is
// plain code, not a regexp compiled at start-up.
func isWireVersion(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if len(p) < 1 || len(p) > 4 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// options are the flags, each defaulting to its environment variable.
type options struct {
	home, issuer, codexBase, apiBase, apiKey string
	originator, oauthOriginator              string
	wireVersion                              string
	organization, project                    string
	port                                     int
	logFile, logLevel                        string
	allowAll, showVersion, asJSON            bool
	liveWebSearch                            bool
	noDelegate                               bool // refresh in this process (the helper itself)
	allSessions                              bool
	noBrowser                                bool   // NO_BROWSER: no browser can be opened here
	userHome, dataHome                       string // $HOME and $XDG_DATA_HOME, for the tools' guards
	resume                                   resumeFlag
	maxSteps                                 int
	portErr                                  error
	browserTimeout, deviceTimeout            time.Duration
	idleTimeout, retryBase                   time.Duration
	diagnosticsWait                          time.Duration
	// The sandbox (sandbox.go): off, and the defaults of the turns.
	noSandbox                   bool
	approvalPolicy, sandboxMode string
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func defaultHome() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "deckhand")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "deckhand")
	}
	return ".deckhand"
}

func newFlags(o *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("deckhand", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port, err := strconv.Atoi(env("DECKHAND_OAUTH_PORT", "1455"))
	if err != nil {
		o.portErr = fmt.Errorf("DECKHAND_OAUTH_PORT=%q is not a port number", os.Getenv("DECKHAND_OAUTH_PORT"))
	}
	fs.StringVar(&o.home, "home", env("DECKHAND_HOME", defaultHome()), "where auth.json lives (DECKHAND_HOME)")
	fs.StringVar(&o.issuer, "auth-issuer", env("DECKHAND_AUTH_ISSUER", "https://auth.openai.com"), "OAuth issuer (DECKHAND_AUTH_ISSUER)")
	fs.StringVar(&o.codexBase, "codex-base-url", env("DECKHAND_CODEX_BASE_URL", "https://chatgpt.com/backend-api/codex"), "ChatGPT Codex backend (DECKHAND_CODEX_BASE_URL)")
	fs.StringVar(&o.apiBase, "openai-base-url", env("OPENAI_BASE_URL", "https://api.openai.com/v1"), "public API base (OPENAI_BASE_URL)")
	fs.StringVar(&o.apiKey, "openai-api-key", os.Getenv("OPENAI_API_KEY"), "API key used when none is stored (OPENAI_API_KEY; prefer the variable: flags show in ps)")
	fs.StringVar(&o.originator, "originator", env("DECKHAND_ORIGINATOR", "deckhand"),
		"the originator header on the model hosts (DECKHAND_ORIGINATOR); set codex_cli_rs if your network meets a challenge")
	fs.StringVar(&o.oauthOriginator, "oauth-originator", env("DECKHAND_OAUTH_ORIGINATOR", "codex_cli_rs"),
		"the originator the OpenAI login sees (DECKHAND_OAUTH_ORIGINATOR); the issuer only accepts allow-listed ones")
	o.wireVersion = env("DECKHAND_WIRE_VERSION", engine.WireVersion)
	fs.Func("wire-version", "the Codex wire version sent to the ChatGPT backend (DECKHAND_WIRE_VERSION, default "+engine.WireVersion+"); raise it when the service asks for a newer client", func(v string) error {
		if !isWireVersion(v) {
			return fmt.Errorf("%q is not a version like %s", v, engine.WireVersion)
		}
		o.wireVersion = v
		return nil
	})
	o.noBrowser = os.Getenv("NO_BROWSER") != ""
	o.userHome, _ = os.UserHomeDir()
	o.dataHome = os.Getenv("XDG_DATA_HOME")
	o.organization = env("OPENAI_ORG_ID", os.Getenv("OPENAI_ORGANIZATION"))
	o.project = env("OPENAI_PROJECT_ID", os.Getenv("OPENAI_PROJECT"))
	fs.Func("oauth-port", "browser-login callback port (DECKHAND_OAUTH_PORT, default 1455, falling back to 1457 when busy)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q is not a port number (1-65535)", v)
		}
		o.port, o.portErr = n, nil
		return nil
	})
	o.port = port
	if err == nil && (port < 1 || port > 65535) {
		o.portErr = fmt.Errorf("DECKHAND_OAUTH_PORT=%d is not a port number (1-65535)", port)
	}
	fs.StringVar(&o.logFile, "log-file", os.Getenv("DECKHAND_LOG_FILE"), "log to this file instead of stderr (DECKHAND_LOG_FILE)")
	fs.StringVar(&o.logLevel, "log-level", env("DECKHAND_LOG_LEVEL", "info"), "debug, info, warn or error (DECKHAND_LOG_LEVEL)")
	fs.BoolVar(&o.allowAll, "allow-all", false, "let write, edit and bash run without asking, when the editor cannot ask")
	fs.BoolVar(&o.liveWebSearch, "live-web-search", os.Getenv("DECKHAND_LIVE_WEB_SEARCH") == "1",
		"let the models' hosted web search reach the live web instead of the service's cache (DECKHAND_LIVE_WEB_SEARCH=1)")
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	fs.BoolVar(&o.asJSON, "json", false, "doctor: print the report as one JSON object")
	fs.Var(&o.resume, "resume", "with exec: continue the last session of this workspace, or --resume=ID that one")
	fs.BoolVar(&o.allSessions, "all", false, "with sessions: list the sessions of every workspace")
	fs.IntVar(&o.maxSteps, "max-steps", 50, "model steps per turn before it ends with max_steps")
	fs.DurationVar(&o.browserTimeout, "browser-timeout", 10*time.Minute, "how long a browser login waits for the callback")
	fs.DurationVar(&o.deviceTimeout, "device-timeout", 15*time.Minute, "how long a device-code login polls")
	fs.DurationVar(&o.idleTimeout, "stream-idle-timeout", 5*time.Minute, "cut a model stream silent for this long")
	fs.DurationVar(&o.retryBase, "retry-delay", 500*time.Millisecond, "first delay before retrying a failed model request")
	fs.DurationVar(&o.diagnosticsWait, "diagnostics-wait", engine.DefaultDiagnosticsWait, "how long the editor has to answer one diagnostics request")
	sandboxFlags(fs, o)
	return fs
}

// newLogger builds zap to stderr or a file; nothing ever goes to stdout.
func newLogger(o *options, stderr io.Writer) (*zap.Logger, error) {
	lvl, err := zap.ParseAtomicLevel(o.logLevel)
	if err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", o.logLevel)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	var sink zapcore.WriteSyncer = zapcore.Lock(zapcore.AddSync(stderr))
	if o.logFile != "" {
		if err := os.MkdirAll(filepath.Dir(o.logFile), 0o700); err != nil {
			return nil, fmt.Errorf("log file: %w", err)
		}
		f, err := os.OpenFile(o.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("log file: %w", err)
		}
		sink = zapcore.Lock(f)
	}
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(enc), sink, lvl)), nil
}
