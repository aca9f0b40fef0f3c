package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
	"github.com/jieda/jieda/index/qdrant/qdranttest"
)

// benchStore is the store a bench ask server runs on: the KB imported, a
// customer key for it, and what to close when done.
type benchStore struct {
	key   string
	close func() error
	// backing is the in-process Qdrant server's store (--store qdrant).
	backing index.Store
}

// benchAskStore prepares the store the server will run on, in dir/data:
// the KB imported into it (or copied from --store-cache), and a.cfg.Store
// pointed at it (for --store qdrant: at an in-process Qdrant protocol
// server over it).
func (a *app) benchAskStore(ctx context.Context, dir, kbFile string, arts []answer.Article, o benchAskOptions) (*benchStore, error) {
	data := filepath.Join(dir, "data")
	var key string
	if o.storeCache == "" {
		var err error
		if key, err = a.benchAskBuild(ctx, data, arts, o.store); err != nil {
			return nil, err
		}
	} else {
		entry, err := a.benchAskCacheEntry(kbFile, o)
		if err != nil {
			return nil, err
		}
		raw, err := os.ReadFile(filepath.Join(entry, "key"))
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.RemoveAll(filepath.Join(entry, "data")); err != nil { // what an interrupted build left
				return nil, err
			}
			if key, err = a.benchAskBuild(ctx, filepath.Join(entry, "data"), arts, o.store); err != nil {
				return nil, err
			}
			// The key file is written last: it marks the entry complete.
			if err := os.WriteFile(filepath.Join(entry, "key"), []byte(key), 0o600); err != nil {
				return nil, err
			}
		} else if err != nil {
			return nil, err
		} else {
			key = strings.TrimSpace(string(raw))
		}
		if err := copyTree(filepath.Join(entry, "data"), data); err != nil {
			return nil, fmt.Errorf("copying the cached store: %w", err)
		}
	}
	if o.store == "embedded" {
		a.cfg.Store.Engine, a.cfg.Store.Path = "embedded", data
		return &benchStore{key: key, close: func() error { return nil }}, nil
	}
	backing, stop, err := a.startQdrantFake(ctx, data)
	if err != nil {
		return nil, err
	}
	return &benchStore{key: key, close: stop, backing: backing}, nil
}

// benchAskBuild imports arts into a new store at path with the engine
// and returns a customer key for it.
func (a *app) benchAskBuild(ctx context.Context, path string, arts []answer.Article, engine string) (string, error) {
	if engine == "embedded" {
		a.cfg.Store.Engine, a.cfg.Store.Path = "embedded", path
		return a.benchAskPrepare(ctx, arts)
	}
	_, stop, err := a.startQdrantFake(ctx, path)
	if err != nil {
		return "", err
	}
	key, err := a.benchAskPrepare(ctx, arts)
	return key, errors.Join(err, stop())
}

// benchAskPrepare imports the KB and creates a customer key in the configured store.
func (a *app) benchAskPrepare(ctx context.Context, arts []answer.Article) (key string, err error) {
	err = a.withSystem(ctx, systemOptions{}, func(ctx context.Context, sys *system) error {
		bar := newBar(a.stderr, int64(len(arts)), "importing KB", false)
		if err := sys.engine.ImportArticlesWith(ctx, benchAskKB, arts, answer.ImportOptions{Progress: func(done, _ int) { _ = bar.Set(done) }}, nil); err != nil {
			return err
		}
		_ = bar.Finish()
		// The KB calibrates itself on its new articles (answer.self_calibrate),
		// as after `jieda import`: wait, or the server would resume it
		// while it is measured.
		if err := sys.engine.WaitCalibrations(ctx); err != nil {
			return err
		}
		key, _, err = apikey.NewStore(sys.store).Create(ctx, apikey.RoleCustomer, []string{benchAskKB}, "bench ask", time.Now())
		if err != nil {
			return err
		}
		// The server should find the HNSW graphs built and saved, as a
		// store that has served a while has them, rather than link the
		// import's vectors while it is measured.
		if w, ok := sys.store.(interface{ WaitIndexed(context.Context) error }); ok {
			return w.WaitIndexed(ctx)
		}
		return nil
	})
	return key, err
}

// startQdrantFake serves Qdrant's gRPC protocol on a loopback port over an
// embedded store at path (index/qdrant/qdranttest) and points
// store.qdrant at it; stop stops it and closes the store.
func (a *app) startQdrantFake(ctx context.Context, path string) (_ *embedded.Store, stop func() error, err error) {
	cfg := a.embeddedConfig()
	cfg.Path = path
	backing, err := embedded.Open(ctx, cfg, a.logger.With("component", "qdranttest"))
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, errors.Join(err, backing.Close())
	}
	srv := qdranttest.NewServer(backing)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	q := &a.cfg.Store.Qdrant
	a.cfg.Store.Engine = "qdrant"
	q.Addr, q.TLS, q.APIKey = ln.Addr().String(), false, ""
	return backing, func() error {
		srv.Stop()
		return errors.Join(<-done, backing.WaitIndexed(ctx), backing.Close())
	}, nil
}

// benchAskCacheEntry is the --store-cache directory for this KB file, model and engine.
func (a *app) benchAskCacheEntry(kbFile string, o benchAskOptions) (string, error) {
	h := sha256.New()
	f, err := os.Open(kbFile)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(h, f)
	if err = errors.Join(err, f.Close()); err != nil {
		return "", err
	}
	info := a.model.Info()
	st, err := os.Stat(filepath.Join(info.Dir, embed.ModelFile))
	if err != nil {
		return "", err
	}
	abs, _ := filepath.Abs(info.Dir)
	fmt.Fprintf(h, "\x00%s\x00%s\x00%d\x00%d\x00%s", info.Name, abs, st.Size(), st.ModTime().UnixNano(), o.store)
	entry := filepath.Join(o.storeCache, info.Name+"-"+o.store+"-"+hex.EncodeToString(h.Sum(nil))[:12])
	return entry, os.MkdirAll(entry, 0o750)
}

// copyTree copies the regular files under src into dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o750)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(path, to)
	})
}

func copyFile(from, to string) (err error) {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, in.Close()) }()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, out.Close()) }()
	_, err = io.Copy(out, in)
	return err
}
