package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/cmd/jieda/internal/seal"
	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
	"github.com/jieda/jieda/index/qdrant"
)

// StoreConfig selects and configures the store engine.
type StoreConfig struct {
	// Engine is embedded or qdrant (store.engine). Default embedded.
	Engine string `mapstructure:"engine"`
	// Path is the embedded store's directory (store.path, global flag
	// --data). Default "data".
	Path     string          `mapstructure:"path"`
	Embedded embedded.Config `mapstructure:"embedded"`
	Qdrant   qdrant.Config   `mapstructure:"qdrant"`
}

func defaultStoreConfig() StoreConfig {
	return StoreConfig{Engine: "embedded", Path: "data", Embedded: embedded.DefaultConfig(), Qdrant: qdrant.DefaultConfig()}
}

// Validate checks the engine and its config.
func (c StoreConfig) Validate() error {
	switch c.Engine {
	case "embedded":
		e := c.Embedded
		e.Path = c.Path
		return e.Validate()
	case "qdrant":
		return c.Qdrant.Validate()
	}
	return fmt.Errorf("store.engine: %q must be embedded or qdrant", c.Engine)
}

// openStore opens the configured engine.
func (a *app) openStore(ctx context.Context, engine string) (index.Store, error) {
	logger := a.logger.With("component", "index", "engine", engine)
	switch engine {
	case "embedded":
		return embedded.Open(ctx, a.embeddedConfig(), logger)
	case "qdrant":
		return qdrant.Open(ctx, a.cfg.Store.Qdrant, logger)
	}
	return nil, fmt.Errorf("store.engine: unknown engine %q", engine)
}

// embeddedConfig is the embedded engine's config with its path from store.path.
func (a *app) embeddedConfig() embedded.Config {
	c := a.cfg.Store.Embedded
	c.Path = a.cfg.Store.Path
	return c
}

func (a *app) storeCommand() *cobra.Command {
	c := &cobra.Command{Use: "store", Short: "Back up and restore the embedded store"}
	c.AddCommand(a.storeBackupCommand(), a.storeRestoreCommand())
	return c
}

func (a *app) storeBackupCommand() *cobra.Command {
	var out, server string
	var encrypt bool
	var keyFlags sealKeyFlags
	cmd := &cobra.Command{
		Use:   "backup --out FILE [--server URL]",
		Short: "Write a snapshot of the embedded store (through a running server with --server)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, nil); err != nil {
				return err
			}
			if out == "" {
				return errors.New("--out is required")
			}
			var key *seal.Key
			if encrypt {
				k, err := keyFlags.key()
				if err != nil {
					return err
				}
				key = &k
			}
			tmp := out + ".partial"
			f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			var w io.Writer = f
			var sealer io.WriteCloser
			if key != nil {
				if sealer, err = seal.NewWriter(f, *key); err != nil {
					return errors.Join(err, f.Close(), os.Remove(tmp))
				}
				w = sealer
			}
			if server != "" {
				err = a.backupFromServer(cmd.Context(), server, w)
			} else {
				err = a.backupDirect(cmd.Context(), w)
			}
			if err == nil && sealer != nil {
				err = sealer.Close()
			}
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				_ = os.Remove(tmp)
				return err
			}
			if err := os.Rename(tmp, out); err != nil {
				return err
			}
			st, _ := os.Stat(out)
			sealed := ""
			if key != nil {
				sealed = ", encrypted"
			}
			fmt.Fprintf(a.stdout, "backup written to %s (%d bytes%s)\n", out, st.Size(), sealed)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "snapshot file to write")
	cmd.Flags().StringVar(&server, "server", "", "URL of a running jieda server (uses server.admin_key)")
	cmd.Flags().BoolVar(&encrypt, "encrypt", false, "seal the snapshot (AES-256-GCM) with --passphrase-file, --key-file or $"+passphraseEnv)
	keyFlags.add(cmd)
	return cmd
}

// passphraseEnv holds a backup passphrase for scripts.
const passphraseEnv = "JIEDA_BACKUP_PASSPHRASE"

// sealKeyFlags read the key that seals or opens a backup.
type sealKeyFlags struct{ passphraseFile, keyFile string }

func (f *sealKeyFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.passphraseFile, "passphrase-file", "", "file holding the passphrase (its first line; 12+ characters)")
	cmd.Flags().StringVar(&f.keyFile, "key-file", "", "file holding a key of 32+ bytes (e.g. head -c 32 /dev/urandom > backup.key)")
}

// key is the key the flags (or $JIEDA_BACKUP_PASSPHRASE) name.
func (f *sealKeyFlags) key() (seal.Key, error) {
	switch {
	case f.passphraseFile != "" && f.keyFile != "":
		return seal.Key{}, errors.New("--passphrase-file and --key-file: give one")
	case f.keyFile != "":
		b, err := os.ReadFile(f.keyFile)
		if err != nil {
			return seal.Key{}, err
		}
		return seal.KeyFile(b)
	case f.passphraseFile != "":
		b, err := os.ReadFile(f.passphraseFile)
		if err != nil {
			return seal.Key{}, err
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return seal.Passphrase(strings.TrimRight(line, "\r"))
	case os.Getenv(passphraseEnv) != "":
		return seal.Passphrase(os.Getenv(passphraseEnv))
	}
	return seal.Key{}, fmt.Errorf("an encrypted backup needs --passphrase-file, --key-file or $%s", passphraseEnv)
}

func (a *app) backupDirect(ctx context.Context, w io.Writer) (err error) {
	s, err := embedded.Open(ctx, a.embeddedConfig(), a.logger)
	if err != nil {
		return fmt.Errorf("opening the store (is a server running? use --server): %w", err)
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	return s.Backup(ctx, w)
}

func (a *app) backupFromServer(ctx context.Context, server string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(server, "/")+"/v1/admin/backup", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+string(a.cfg.Server.AdminKey))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("backup from %s: %w", server, err)
	}
	defer func() { _ = resp.Body.Close() }() // the answer is read: nothing to lose
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("backup from %s: %s: %s", server, resp.Status, strings.TrimSpace(string(body)))
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

func (a *app) storeRestoreCommand() *cobra.Command {
	var keyFlags sealKeyFlags
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Restore a snapshot into store.path (the server must be stopped)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.load(cmd, nil); err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer func() { _ = f.Close() }() // read only
			br := bufio.NewReader(f)
			var r io.Reader = br
			if head, _ := br.Peek(16); seal.IsSealed(head) {
				k, err := keyFlags.key()
				if err != nil {
					return fmt.Errorf("%s is encrypted: %w", args[0], err)
				}
				if r, err = seal.NewReader(br, k); err != nil {
					return err
				}
			}
			if err := embedded.Restore(cmd.Context(), r, a.cfg.Store.Path); err != nil {
				return err
			}
			abs, _ := filepath.Abs(a.cfg.Store.Path)
			fmt.Fprintf(a.stdout, "restored %s into %s\n", args[0], abs)
			return nil
		},
	}
	keyFlags.add(cmd)
	return cmd
}

func (a *app) migrateCommand() *cobra.Command {
	var from, to string
	var batch int
	cmd := &cobra.Command{
		Use:   "migrate --from embedded --to qdrant",
		Short: "Copy every collection (points, payloads, vectors, payload indexes) between engines; safe to re-run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if err := a.load(cmd, nil); err != nil {
				return err
			}
			if from == to {
				return fmt.Errorf("--from and --to are both %q", from)
			}
			ctx := cmd.Context()
			src, err := a.openStore(ctx, from)
			if err != nil {
				return fmt.Errorf("opening source: %w", err)
			}
			defer func() { err = errors.Join(err, src.Close()) }()
			dst, err := a.openStore(ctx, to)
			if err != nil {
				return fmt.Errorf("opening target: %w", err)
			}
			defer func() { err = errors.Join(err, dst.Close()) }()
			start := time.Now()
			done, err := index.Migrate(ctx, src, dst, batch, func(name string, total int) func(int) {
				bar := newBar(a.stderr, int64(total), name, false)
				return func(n int) { _ = bar.Add(n) }
			})
			for _, m := range done {
				fmt.Fprintf(a.stdout, "\n%s: %d points copied, target holds %d\n", m.Name, m.Source, m.Target)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "migrated %d collections in %s\n", len(done), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "embedded", "source engine")
	cmd.Flags().StringVar(&to, "to", "qdrant", "target engine")
	cmd.Flags().IntVar(&batch, "batch", 256, "points per upsert")
	return cmd
}
