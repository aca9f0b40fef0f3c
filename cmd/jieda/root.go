package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/jieda/jieda/cmd/jieda/internal/httpapi"
	"github.com/jieda/jieda/embed"
	"github.com/schollz/progressbar/v3"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// app carries what every command shares: the streams and the loaded config.
type app struct {
	stdout, stderr io.Writer
	configPath     string
	cfg            Config
	cfgFile        string // the file actually read, "" if none
	logger         *slog.Logger
	// now is the clock of the answer engine (nil: time.Now).
	now func() time.Time

	// Tests share one open model (borrowed: openSystem does not close
	// it) and adjust the HTTP server (a fake clock for keys and rate limits).
	model       *embed.Embedder
	httpOptions httpapi.Options
	// outbound, when set, replaces the transport of jieda's outbound calls
	// (outboundClient; the egress policy is the default transport's).
	outbound http.RoundTripper
}

// execute runs the CLI and returns the process exit code.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// Background work (a self-calibration's log line) writes while a
	// command prints: each stream takes one writer at a time.
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	a := &app{stdout: stdout, stderr: stderr}
	root := a.rootCommand() //nolint:contextcheck // commands take ctx from cobra's cmd.Context()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "jieda:", err)
		if errors.Is(err, context.Canceled) {
			return 130
		}
		return 1
	}
	return 0
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "jieda",
		Short:         "jieda (解答) answers e-commerce customer questions from a shop's own knowledge",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "config file (YAML); default ./jieda.yaml when present")
	root.PersistentFlags().String("data", "", "embedded store directory (store.path, default ./data)")
	root.AddCommand(a.configCommand(), a.serveCommand(), a.modelCommand(), a.benchCommand(),
		a.storeCommand(), a.migrateCommand(), a.keysCommand(), a.versionCommand(), a.importCommand(), a.evalCommand(),
		a.calibrateCommand(), a.askCommand(), a.gapsCommand())
	return root
}

// load reads the effective config for cmd, binding the flags listed in
// flagKeys (flag name → config key), and builds the logger.
func (a *app) load(cmd *cobra.Command, flagKeys map[string]string) error {
	flags := map[string]*pflag.Flag{}
	if f := cmd.Flags().Lookup("data"); f != nil && f.Changed {
		flags["store.path"] = f
	}
	for name, key := range flagKeys {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			flags[key] = f
		}
	}
	cfg, used, err := loadConfig(a.configPath, flags)
	if err != nil {
		return err
	}
	a.cfg, a.cfgFile = cfg, used
	a.logger = newLogger(a.stderr, cfg.Log)
	return nil
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func newLogger(w io.Writer, c LogConfig) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the jieda version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(a.stdout, "jieda", version)
			return nil
		},
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// newBar is a progress bar on w (stderr, so stdout stays clean for output).
func newBar(w io.Writer, total int64, desc string, bytes bool) *progressbar.ProgressBar {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		progressbar.OptionSetWidth(30),
	}
	if bytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	}
	return progressbar.NewOptions64(total, opts...)
}
